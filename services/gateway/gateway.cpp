#include "services/gateway/gateway.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <deque>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <httplib.h>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/common/ids.hpp"
#include "services/common/log.hpp"
#include "services/common/metrics.hpp"
#include "services/gateway/call_watchdog.hpp"
#include "services/gateway/model_catalog.hpp"
#include "services/gateway/reply_sink.hpp"
#include "services/http/call_cancel.hpp"
#include "services/http/http_server.hpp"
#include "services/supervisor/messages.hpp"
#include "services/supervisor/ticket_pool.hpp"
#include "services/supervisor/upstream_line.hpp"
#include "shared/claude/messages_request.hpp"
#include "shared/claude/models.hpp"
#include "shared/common/secret_compare.hpp"
#include "shared/reply/assembler.hpp"
#include "shared/reply/token_estimate.hpp"

namespace kb::gw {

namespace {

using std::chrono::milliseconds;

void send_error(httplib::Response& res, const api_error& err,
                const std::string& request_id) {
  res.status = err.status();
  if (err.retry_after > 0)
    res.set_header("retry-after", std::to_string(err.retry_after));
  // The Anthropic SDKs and Claude Code obey this header over the status
  // (SDK client.js shouldRetry); Claude Code retries every overloaded_error
  // regardless, hence a 503 api_error for what waiting cannot fix.
  if (err.kind == error_kind::unavailable)
    res.set_header("x-should-retry", "false");
  res.set_content(to_json(err, request_id), "application/json");
}

/// The client's key from `x-api-key` or `Authorization: Bearer`.
std::string client_key(const httplib::Request& req) {
  auto key = req.get_header_value("x-api-key");
  if (!key.empty())
    return key;
  auto auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0)
    return auth.substr(7);
  return {};
}

bool authorized(const gateway_settings& s, const httplib::Request& req) {
  if (s.api_keys.empty())
    return true;
  // In constant time, like the admin token: no early exit on a prefix.
  return secret_in(s.api_keys, client_key(req));
}

/// The error a client sees when the upstream broke the answer mid-stream.
api_error broken_answer(const reply::upstream_exception& e) {
  api_error err{error_kind::overloaded,
                "the upstream model stopped mid-answer (" + e.name +
                  (e.message.empty() ? std::string{} : ": " + e.message) +
                  "); retry the request"};
  err.from_upstream = true;
  return err;
}

/// Whose failure a finished request was, for the three error counters.
enum class failure_origin { none, client, service, upstream };

/// A 4xx the bridge answered itself is the client's mistake; an error from
/// Kiro (or a failed call to it) is upstream's; the rest (no account, queue
/// timeouts, 5xx decided here) is the service's. A hang-up (499) is none.
failure_origin origin_of(int status, bool from_upstream) {
  if (status < 400 || status == 499)
    return failure_origin::none;
  if (from_upstream)
    return failure_origin::upstream;
  if (status < 500 && status != 429)
    return failure_origin::client;
  return failure_origin::service;
}

void count_failure(int status, std::string_view type, bool from_upstream) {
  const char* family = nullptr;
  switch (origin_of(status, from_upstream)) {
    case failure_origin::none: return;
    case failure_origin::client: family = metrics::names::client_errors; break;
    case failure_origin::service: family = metrics::names::service_errors; break;
    case failure_origin::upstream: family = metrics::names::upstream_errors; break;
  }
  metrics::global().add(family, {{"type", type}});
}

/// Counts one finished Claude API request (metrics and claude-code.log).
void record_request(std::string_view route, int status, std::string_view model,
                    std::chrono::steady_clock::time_point started,
                    std::string_view request_id, std::string_view detail = {}) {
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  auto& m = metrics::global();
  char digits[8];
  auto end = std::to_chars(digits, digits + sizeof(digits), status).ptr;
  std::string_view status_text{digits, static_cast<size_t>(end - digits)};
  m.add(metrics::names::requests,
        {{"route", route}, {"status", status_text}, {"model", model}});
  m.observe(metrics::names::request_duration, {{"route", route}},
            seconds.count());
  auto level = status >= 500 ? log::level::warn : log::level::info;
  if (!log::enabled(level))
    return;
  std::ostringstream line;
  line << route << " " << status << " model=" << (model.empty() ? "-" : model)
       << " ms=" << static_cast<int64_t>(seconds.count() * 1000);
  if (!detail.empty())
    line << " " << detail;
  log::event(log::category::claude_code, level, request_id, {}, line.str());
}

/// One reply in the making: the sink actor the worker sends to, and the
/// assembler that turns its events into SSE (or one JSON message).
struct reply_session {
  reply_session(std::shared_ptr<sink_pool> pool, reply::assembler_options opts)
    : pool(std::move(pool)), sink(this->pool->take()), assembler(std::move(opts)) {
    // nop
  }
  std::shared_ptr<sink_pool> pool;
  std::unique_ptr<sink_slot> sink;
  reply::assembler assembler;
  std::string request_id;
  std::string out;  ///< SSE bytes waiting to be written
  bool received = false;  ///< some upstream output arrived
  bool committed = false; ///< the 200 is sent: failures become SSE errors
  bool finished = false;
  bool settled = false;   ///< `done` or `failed` arrived: nothing more comes
  /// A failure while nothing is committed: answered with its own status.
  std::optional<api_error> failure;
  std::shared_ptr<std::atomic<int>> in_flight;
  // For metrics and logs when the reply is over.
  std::string upstream_model;
  std::string account; ///< the account that answered (from `done`)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  int status = 200;
  std::optional<error_kind> error;
  bool error_from_upstream = false;
  ~reply_session() {
    in_flight->fetch_sub(1);
    record();
    if (settled)
      pool->give_back(std::move(sink));
  }

  sink_slot& self() {
    return *sink;
  }

  void record() {
    auto& m = metrics::global();
    // Tokens only for requests Kiro worked on: one that failed before any
    // upstream output used none (its input is only the local estimate).
    auto in = received ? assembler.input_tokens() : 0;
    auto out_tokens = received ? assembler.output_tokens() : 0;
    if (received) {
      m.add(metrics::names::tokens, {{"direction", "input"}, {"model", upstream_model}},
            static_cast<double>(in));
      m.add(metrics::names::tokens, {{"direction", "output"}, {"model", upstream_model}},
            static_cast<double>(out_tokens));
    }
    // What Kiro reported beside the answer (kept per request for usage
    // accounting: the log line carries it).
    auto cache_read = assembler.cache_read_tokens();
    auto cache_write = assembler.cache_write_tokens();
    if (cache_read > 0)
      m.add(metrics::names::tokens, {{"direction", "cache_read"}, {"model", upstream_model}},
            static_cast<double>(cache_read));
    if (cache_write > 0)
      m.add(metrics::names::tokens, {{"direction", "cache_write"}, {"model", upstream_model}},
            static_cast<double>(cache_write));
    if (auto cut = assembler.truncated_tool_calls())
      m.add(metrics::names::tool_calls_truncated, {{"model", upstream_model}},
            static_cast<double>(cut));
    if (auto n = assembler.citations())
      m.add(metrics::names::upstream_references, {{"kind", "citation"}}, static_cast<double>(n));
    if (auto n = assembler.code_references())
      m.add(metrics::names::upstream_references, {{"kind", "code_reference"}},
            static_cast<double>(n));
    if (assembler.credits() > 0)
      m.add(metrics::names::credits, {{"model", upstream_model}}, assembler.credits());
    std::string detail = "in=" + std::to_string(in) + " out=" + std::to_string(out_tokens);
    if (cache_read > 0 || cache_write > 0)
      detail += " cache_read=" + std::to_string(cache_read) +
                " cache_write=" + std::to_string(cache_write);
    if (!assembler.real_usage())
      detail += " usage=estimated";
    if (assembler.credits() > 0) {
      std::ostringstream credits;
      credits << assembler.credits();
      detail += " credits=" + credits.str();
    }
    if (auto cut = assembler.truncated_tool_calls())
      detail += " tool_calls_cut=" + std::to_string(cut);
    if (error) {
      auto err = api_error{*error, {}};
      count_failure(status == 200 ? err.status() : status, err.type(), error_from_upstream);
      detail += " error=" + std::string{err.type()};
    }
    record_request("/v1/messages", status, upstream_model, started, request_id, detail);
    auto level = error ? log::level::warn : log::level::info;
    if (!log::enabled(level))
      return;
    std::string outcome = error          ? " failed " + std::string{api_error{*error, {}}.type()}
                          : status == 499 ? " cancelled: the client hung up"
                                          : " ok";
    log::event(log::category::kiro_api, level, request_id, account,
               "generate model=" + upstream_model + outcome);
  }

  /// The client hung up before its answer: the sink is dropped rather than
  /// pooled, which cancels the upstream call (the supervisor watches it).
  /// 499 as nginx logs it; only a client that merely shut its sending side
  /// still reads the answer.
  void abandon(httplib::Response& res) {
    send_error(res,
               api_error{error_kind::invalid_request,
                         "cancelled: the client closed its connection before the answer"},
               request_id);
    status = 499;
    res.status = status;
  }

  void fail(api_error err) {
    error = err.kind;
    error_from_upstream = err.from_upstream;
    if (committed)
      out += assembler.fail(err, request_id);
    else
      failure = std::move(err);
    finished = true;
  }
};

/// Receives one message for the session (or times out after `timeout`)
/// and advances the assembler. Returns false on timeout.
bool pump(reply_session& s, milliseconds timeout) {
  bool got = true;
  auto advance = [&](std::vector<stream_event>& events) {
    for (auto& ev : events) {
      s.out += s.assembler.on_event(ev);
      if (s.assembler.stopped())
        break;
    }
    if (!s.assembler.stopped())
      return;
    if (auto& exc = s.assembler.pending_exception()) {
      s.fail(broken_answer(*exc));
    } else {
      s.out += s.assembler.finish();
      s.finished = true;
    }
  };
  // A pooled sink may still get a message meant for an earlier request
  // (a proxy failing every call of a supervisor that went away): skip it.
  auto mine = [&](const std::string& request_id) { return request_id == s.request_id; };
  s.self()->receive(
    [&](atom::events, const std::string& rid, std::vector<stream_event>& events) {
      if (!mine(rid))
        return;
      s.received = true;
      advance(events);
    },
    [&](atom::done, const std::string& rid, std::vector<stream_event>& events,
        const std::string& account) {
      if (!mine(rid))
        return;
      s.settled = true;
      s.account = account;
      s.received = true;
      advance(events);
      if (!s.finished) {
        s.out += s.assembler.finish();
        s.finished = true;
      }
    },
    [&](atom::failed, const std::string& rid, api_error& err) {
      if (!mine(rid))
        return;
      s.settled = true;
      s.fail(std::move(err));
    },
    drop_unmatched(),
    caf::after(timeout) >> [&] { got = false; });
  return got;
}

/// How often a wait for the answer looks whether its client hung up.
constexpr milliseconds client_check_interval{1000};

enum class wait_result { done, timed_out, client_gone };

/// Pumps the next message, waiting at most `quiet_for` for it and looking
/// every client_check_interval whether the client hung up.
wait_result pump_next(reply_session& s, milliseconds quiet_for) {
  auto deadline = std::chrono::steady_clock::now() + quiet_for;
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return wait_result::timed_out;
    if (pump(s, std::min(left, client_check_interval)))
      return wait_result::done;
    if (http_server::client_gone())
      return wait_result::client_gone;
  }
}

/// Pumps until the session finishes (or, with `stop_at_first_output`, has
/// output), `deadline` passes, or the client hangs up.
wait_result pump_until(reply_session& s, std::chrono::steady_clock::time_point deadline,
                       bool stop_at_first_output) {
  while (!s.finished && !(stop_at_first_output && s.received)) {
    auto left = std::chrono::duration_cast<milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (auto waited = pump_next(s, left); waited != wait_result::done)
      return waited;
  }
  return wait_result::done;
}

} // namespace

struct gateway::impl {
  caf::actor_system& sys;
  caf::actor supervisor;
  mutable std::mutex settings_mutex;
  std::shared_ptr<const gateway_settings> current;
  std::shared_ptr<std::atomic<int>> in_flight =
    std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<sink_pool> sinks;
  std::shared_ptr<sup::ticket_pool> tickets;
  std::unique_ptr<call_watchdog> watchdog; ///< with tickets only
  /// The models the pool serves (supervisor `(get, model_list)`).
  std::shared_ptr<served_models_cache> served = std::make_shared<served_models_cache>();

  impl(caf::actor_system& s, caf::actor sup, gateway_settings settings,
       std::shared_ptr<sup::ticket_pool> ticket_source)
    : sys(s),
      supervisor(std::move(sup)),
      current(std::make_shared<const gateway_settings>(std::move(settings))),
      sinks(std::make_shared<sink_pool>(s)),
      tickets(std::move(ticket_source)) {
    if (tickets)
      watchdog = std::make_unique<call_watchdog>();
  }

  std::shared_ptr<const gateway_settings> snapshot() const {
    std::lock_guard<std::mutex> guard{settings_mutex};
    return current;
  }

  /// The pool's models, asked again when 30 s old: `wait` blocks (up to
  /// 5 s) for the answer, otherwise the ask runs beside the request.
  std::shared_ptr<const std::vector<served_model>> served_models(bool wait) {
    auto now = served_models_cache::clock::now();
    if (!served->stale(now, std::chrono::seconds(30)))
      return served->get();
    auto cache = served;
    if (wait) {
      caf::scoped_actor self{sys};
      self->request(supervisor, std::chrono::seconds(5), caf::get_atom::value,
                    atom::model_list::value)
        .receive([&](bool ok, std::string& text) {
                   if (ok) cache->set(parse_served_models(text), now);
                 },
                 [](caf::error&) {});
    } else if (served->claim_refresh(now, std::chrono::seconds(1))) {
      sys.spawn([cache, sup = supervisor, now](caf::event_based_actor* self) {
        self->request(sup, std::chrono::seconds(5), caf::get_atom::value,
                      atom::model_list::value)
          .then([cache, now](bool ok, std::string& text) {
                  if (ok) cache->set(parse_served_models(text), now);
                },
                [](caf::error&) {});
      });
    }
    return served->get();
  }

  /// Common prologue: request id and auth (the server enforces the body
  /// limit). Returns false when the response is already final.
  bool admit(const gateway_settings& s, const httplib::Request& req,
             httplib::Response& res, const std::string& rid) {
    res.set_header("request-id", rid);
    if (!authorized(s, req)) {
      send_error(res,
                 api_error{error_kind::authentication,
                           "invalid x-api-key: the key is not in apiKeys"},
                 rid);
      return false;
    }
    return true;
  }

  void messages(const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    auto s = snapshot();
    auto rid = new_request_id();
    if (!admit(*s, req, res, rid)) {
      record_request("/v1/messages", res.status, {}, started, rid);
      count_failure(res.status, api_error{error_kind::authentication, {}}.type(), false);
      return;
    }
    if (log::enabled(log::level::debug))
      log::event(log::category::claude_code, log::level::debug, rid, {},
                 "request body " + req.body.substr(0, 65536));
    auto parsed = claude::parse_messages_request(req.body);
    if (!parsed) {
      KB_INFO("gateway", rid << ": 400 " << parsed.error().message);
      send_error(res, parsed.error(), rid);
      record_request("/v1/messages", res.status, {}, started, rid,
                     "error=" + std::string{parsed.error().type()});
      count_failure(res.status, parsed.error().type(), false);
      return;
    }
    auto conv = std::move(parsed).value();
    conv.request_id = rid;
    conv.upstream_model = config::resolve(s->models, conv.model);
    reply::assembler_options opts;
    opts.message_id = new_message_id();
    opts.model = conv.model;
    opts.stream = conv.stream;
    opts.parse_thinking = conv.thinking.mode != thinking_mode::off;
    opts.input_tokens_estimate = tokens::estimate_conversation(conv);
    opts.context_window_tokens = context_window(*served_models(false), conv.upstream_model);
    opts.stop_sequences = conv.stop_sequences;
    for (auto& t : conv.tools)
      opts.tool_names.push_back(t.name);
    KB_DEBUG("gateway", rid << ": " << conv.model << " → " << conv.upstream_model
                            << (conv.stream ? " (stream)" : ""));
    in_flight->fetch_add(1);
    auto session = std::make_shared<reply_session>(sinks, std::move(opts));
    session->request_id = rid;
    session->in_flight = in_flight;
    session->upstream_model = conv.upstream_model;
    session->started = started;
    bool stream = conv.stream;
    auto& sink = session->self();
    if (stream) {
      sink->send(supervisor, atom::generate::value, std::move(conv), sink.handle());
      serve_stream(*s, session, res);
      return;
    }
    auto deadline = started + milliseconds(s->request_timeout_ms);
    session->assembler.begin();
    if (auto t = tickets ? tickets->take(conv.upstream_model) : std::nullopt)
      call_on_ticket(*session, std::move(conv), std::move(*t), deadline);
    else
      sink->send(supervisor, atom::generate::value, std::move(conv), sink.handle());
    serve_json(*session, deadline, res);
  }

  /// Makes the call of a ticket on this thread (its events go to the
  /// session's sink like a worker's) and tells the supervisor how it went;
  /// a call that failed before any output continues there.
  void call_on_ticket(reply_session& session, conversation conv, sup::ticket t,
                      std::chrono::steady_clock::time_point deadline) {
    auto& sink = session.self();
    KB_DEBUG("gateway", session.request_id << ": ticket " << t.id << " on account "
                                           << t.account_id);
    sup::dispatch d;
    d.conv = std::make_shared<const conversation>(std::move(conv));
    d.sink = sink.handle();
    d.account_id = std::move(t.account_id);
    d.creds = std::move(t.creds);
    d.cancel = std::make_shared<call_cancel>();
    sup::call_outcome outcome;
    try {
      auto watch = watchdog->observe(http_server::client_socket(), d.cancel, deadline);
      outcome = t.line->call(d);
    } catch (const std::exception& e) {
      // The ticket must be reported whatever happens: its worker is busy
      // until then. The request then runs on the supervisor's path.
      outcome.result = sup::call_result::upstream_failed;
      outcome.failure = {failure_class::network, 0, "", std::string{"the call failed: "} + e.what()};
    }
    if (outcome.result == sup::call_result::upstream_failed)
      sink->send(supervisor, atom::run::value, t.id, std::move(outcome), std::move(d));
    else
      caf::anon_send(supervisor, atom::run::value, t.id, std::move(outcome));
  }

  void serve_json(reply_session& session, std::chrono::steady_clock::time_point deadline,
                  httplib::Response& res) {
    auto waited = pump_until(session, deadline, false);
    if (waited == wait_result::client_gone) {
      session.abandon(res);
      return;
    }
    if (waited == wait_result::timed_out)
      session.fail(api_error{error_kind::api,
                             "the upstream answer took longer than requestTimeout"});
    if (session.failure) {
      send_error(res, *session.failure, session.request_id);
      session.status = res.status;
      return;
    }
    res.status = 200;
    res.set_content(session.assembler.message_json(), "application/json");
  }

  void serve_stream(const gateway_settings& s,
                    std::shared_ptr<reply_session> session,
                    httplib::Response& res) {
    // Wait for the first answer before committing to a 200, so that a
    // request no account can serve still gets its proper status.
    auto header = session->assembler.begin();
    auto waited = pump_until(
      *session, std::chrono::steady_clock::now() + milliseconds(s.commit_wait_ms), true);
    if (waited == wait_result::client_gone) {
      session->abandon(res);
      return;
    }
    if (session->failure) {
      send_error(res, *session->failure, session->request_id);
      session->status = res.status;
      return;
    }
    session->committed = true;
    session->out = header + session->out;
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    auto ping = milliseconds(s.ping_interval_ms);
    auto deadline = session->started + milliseconds(s.stream_timeout_ms);
    auto limit_s = s.stream_timeout_ms / 1000;
    res.set_chunked_content_provider(
      "text/event-stream",
      [session, ping, deadline, limit_s](size_t, httplib::DataSink& sink) {
        while (true) {
          if (!session->out.empty()) {
            if (!sink.write(session->out.data(), session->out.size()))
              return false; // the client went away: the sink dies with us
            session->out.clear();
          }
          if (session->finished) {
            sink.done();
            return true;
          }
          auto now = std::chrono::steady_clock::now();
          if (now >= deadline) {
            // Dropping the unsettled sink cancels the upstream call.
            session->fail(api_error{error_kind::api,
                                    "the stream ran longer than connectionPool.streamTimeout (" +
                                      std::to_string(limit_s) + " s)"});
            continue;
          }
          auto next = pump_next(
            *session, std::min(ping, std::chrono::duration_cast<milliseconds>(deadline - now) +
                                       milliseconds{1}));
          if (next == wait_result::client_gone)
            return false; // as when a write fails
          if (next == wait_result::timed_out) {
            if (std::chrono::steady_clock::now() < deadline)
              session->out = session->assembler.ping();
            continue;
          }
          // Coalesce what is already queued into one write: fewer syscalls
          // and wakeups per stream.
          while (!session->finished && session->out.size() < 16384 &&
                 session->self()->mailbox().size() > 0)
            pump(*session, milliseconds{0});
        }
      });
  }

  void count_tokens(const httplib::Request& req, httplib::Response& res) {
    auto s = snapshot();
    auto rid = new_request_id();
    if (!admit(*s, req, res, rid))
      return;
    auto parsed = claude::parse_count_tokens_request(req.body);
    if (!parsed) {
      send_error(res, parsed.error(), rid);
      return;
    }
    auto n = tokens::estimate_conversation(*parsed);
    res.set_content("{\"input_tokens\":" + std::to_string(n) + "}",
                    "application/json");
  }

  void list_models(const httplib::Request& req, httplib::Response& res) {
    auto s = snapshot();
    auto rid = new_request_id();
    if (!admit(*s, req, res, rid))
      return;
    auto query = req.target.find('?') == std::string::npos
                   ? std::string{}
                   : req.target.substr(req.target.find('?') + 1);
    auto page = claude::render_model_list(model_catalog(s->models, *served_models(true)), query);
    if (!page) {
      send_error(res, page.error(), rid);
      return;
    }
    res.set_content(*page, "application/json");
  }

  void get_model(const httplib::Request& req, httplib::Response& res) {
    auto s = snapshot();
    auto rid = new_request_id();
    if (!admit(*s, req, res, rid))
      return;
    auto id = req.matches[1].str();
    for (auto& m : model_catalog(s->models, *served_models(true))) {
      if (m.id == id) {
        res.set_content(claude::render_model(m), "application/json");
        return;
      }
    }
    send_error(res,
               api_error{error_kind::not_found, "model: " + id + " is not known"},
               rid);
  }
};

gateway::gateway(caf::actor_system& sys, caf::actor supervisor, gateway_settings settings,
                 std::shared_ptr<sup::ticket_pool> tickets)
  : impl_(std::make_shared<impl>(sys, std::move(supervisor), std::move(settings),
                                 std::move(tickets))) {
  // nop
}

void gateway::register_routes(http_server& server) {
  auto self = impl_;
  server.Post("/v1/messages", [self](const httplib::Request& req,
                                     httplib::Response& res) {
    self->messages(req, res); // counts itself: it knows model and outcome
  });
  // The other routes are counted here, by route and status.
  using handler = void (impl::*)(const httplib::Request&, httplib::Response&);
  auto counted = [self](std::string route, handler h) {
    return [self, route, h](const httplib::Request& req, httplib::Response& res) {
      auto started = std::chrono::steady_clock::now();
      ((*self).*h)(req, res);
      // httplib fills in 200 after the handler when it was left unset.
      auto status = res.status > 0 ? res.status : 200;
      record_request(route, status, {}, started, res.get_header_value("request-id"));
      count_failure(status, api_error{error_kind_for_status(status), {}}.type(), false);
    };
  };
  server.Post("/v1/messages/count_tokens",
              counted("/v1/messages/count_tokens", &impl::count_tokens));
  server.Get("/v1/models", counted("/v1/models", &impl::list_models));
  server.Get(R"(/v1/models/([^/]+))", counted("/v1/models/{id}", &impl::get_model));
}

void gateway::update(gateway_settings settings) {
  auto next = std::make_shared<const gateway_settings>(std::move(settings));
  std::lock_guard<std::mutex> guard{impl_->settings_mutex};
  impl_->current = std::move(next);
}

std::shared_ptr<const gateway_settings> gateway::settings() const {
  return impl_->snapshot();
}

int gateway::in_flight() const {
  return impl_->in_flight->load();
}

} // namespace kb::gw
