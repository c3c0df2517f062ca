#include "services/sim/server.hpp"

#include <chrono>

#include <httplib.h>

#include "services/sim/httplib_server.hpp"
#include "services/sim/simulator.hpp"

namespace kb::sim {

namespace {

using tls_server = wide_backlog<httplib::SSLServer>;

int64_t epoch_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

/// httplib adds the socket addresses as if they were request headers.
bool is_pseudo_header(const std::string& name) {
  return name == "LOCAL_ADDR" || name == "LOCAL_PORT" || name == "REMOTE_ADDR" ||
         name == "REMOTE_PORT";
}

http_request_view to_view(const httplib::Request& req) {
  http_request_view v;
  v.method = req.method;
  v.path = req.path;
  for (const auto& [k, val] : req.headers)
    if (!is_pseudo_header(k))
      v.headers.emplace_back(k, val);
  for (const auto& [k, val] : req.params)
    v.query.emplace(k, val);
  v.body = req.body;
  return v;
}

/// Cursor over a plan, shared by successive calls of the content provider.
struct stream_cursor {
  response_plan plan;
  size_t next_step = 0;
  size_t sent = 0;
  bool started = false;
};

/// One call of httplib's chunked content provider: writes the next step.
/// Returning false makes httplib close the connection without the final
/// chunk, which is how a dropped stream looks on the wire.
bool write_next(stream_cursor& c, httplib::DataSink& sink, stop_signal& stopping) {
  if (!c.started) {
    c.started = true;
    if (c.plan.first_byte_delay_ms > 0 && !stopping.sleep_for_ms(c.plan.first_byte_delay_ms))
      return false;
  }
  if (c.next_step == c.plan.steps.size()) {
    if (c.plan.drop_after_bytes)
      return false;
    sink.done();
    return true;
  }
  const stream_step& step = c.plan.steps[c.next_step++];
  if (step.delay_ms > 0 && !stopping.sleep_for_ms(step.delay_ms))
    return false;
  if (c.plan.drop_after_bytes && c.sent + step.bytes.size() >= *c.plan.drop_after_bytes) {
    const size_t part = *c.plan.drop_after_bytes - c.sent;
    if (part > 0)
      sink.write(step.bytes.data(), part);
    return false;
  }
  c.sent += step.bytes.size();
  return sink.write(step.bytes.data(), step.bytes.size());
}

void apply(const http_answer& answer, httplib::Response& res, stop_signal& stopping) {
  res.status = answer.status;
  for (const auto& [k, v] : answer.headers)
    res.set_header(k, v);
  if (!answer.stream) {
    res.set_content(answer.body, answer.content_type);
    return;
  }
  auto cursor = std::make_shared<stream_cursor>();
  cursor->plan = *answer.stream;
  res.set_chunked_content_provider(
      answer.content_type, [cursor, &stopping](size_t, httplib::DataSink& sink) {
        return write_next(*cursor, sink, stopping);
      });
}

} // namespace

bool stop_signal::sleep_for_ms(int ms) {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopped_; });
}

void stop_signal::trigger() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool stop_signal::triggered() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

sim_server::sim_server(simulator& sim) : sim_(sim) {}

sim_server::~sim_server() { stop(); }

void sim_server::install_routes(httplib::Server& s) {
  using httplib::Request;
  using httplib::Response;
  auto kiro = [this](auto call) {
    return [this, call](const Request& req, Response& res) {
      apply(call(to_view(req), epoch_seconds()), res, stopping_);
    };
  };
  auto generate = kiro([this](const http_request_view& v, int64_t now) {
    return sim_.generate(v, now);
  });
  s.Post("/generateAssistantResponse", generate);
  s.Post("/", generate);
  s.Post("/refreshToken", kiro([this](const http_request_view& v, int64_t now) {
    return sim_.refresh_social(v, now);
  }));
  s.Post("/token", kiro([this](const http_request_view& v, int64_t now) {
    return sim_.refresh_idc(v, now);
  }));
  s.Get("/getUsageLimits", kiro([this](const http_request_view& v, int64_t now) {
    return sim_.usage_limits(v, now);
  }));
  s.Post("/ListAvailableProfiles", kiro([this](const http_request_view& v, int64_t now) {
    return sim_.list_profiles(v, now);
  }));
  s.Get("/ListAvailableModels", kiro([this](const http_request_view& v, int64_t now) {
    return sim_.list_models(v, now);
  }));

  s.Post("/__sim/accounts", kiro([this](const http_request_view& v, int64_t now) {
    return sim_.add_accounts(v.body, now);
  }));
  s.Post("/__sim/script",
         kiro([this](const http_request_view& v, int64_t) { return sim_.add_script(v.body); }));
  s.Post("/__sim/reset", kiro([this](const http_request_view&, int64_t) { return sim_.reset(); }));
  s.Get("/__sim/requests",
        kiro([this](const http_request_view& v, int64_t) { return sim_.requests(v); }));
  s.Post("/__sim/expire", kiro([this](const http_request_view& v, int64_t now) {
    return sim_.expire(v.body, now);
  }));
  s.Get("/__sim/stats", kiro([this](const http_request_view&, int64_t) { return sim_.stats(); }));
  s.Get("/__sim/config", kiro([this](const http_request_view&, int64_t) { return sim_.config(); }));
  s.Post("/__sim/config",
         kiro([this](const http_request_view& v, int64_t) { return sim_.configure(v.body); }));

  s.set_error_handler(httplib::Server::HandlerWithResponse([](const Request&, Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_)
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_content(res.status == 404 ? R"({"message":"Not found.","reason":null})"
                                      : R"({"message":"Bad request.","reason":null})",
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(R"({"message":"Internal simulator error.","reason":null})",
                    "application/json");
  });
}

std::optional<std::string> sim_server::bind(const listen_config& config) {
  const size_t threads = static_cast<size_t>(config.threads);
  auto prepare = [&](httplib::Server& s) {
    s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    s.set_tcp_nodelay(true);
    s.set_keep_alive_max_count(100'000);
    s.set_keep_alive_timeout(30);
    s.set_payload_max_length(64 << 20);
    install_routes(s);
  };
  auto listen_on = [&](auto& s, int port) {
    int bound = port == 0 ? s.bind_to_any_port(config.host)
                          : (s.bind_to_port(config.host, port) ? port : -1);
    if (bound >= 0)
      s.widen_backlog();
    return bound;
  };
  auto http = std::make_unique<plain_server>();
  prepare(*http);
  http_port_ = listen_on(*http, config.port);
  http_ = std::move(http);
  if (http_port_ < 0)
    return "cannot listen on " + config.host + ":" + std::to_string(config.port);
  if (config.tls_port >= 0) {
    auto tls = std::make_unique<tls_server>(config.cert_file.c_str(), config.key_file.c_str());
    if (!tls->is_valid())
      return "cannot load TLS certificate " + config.cert_file + " / key " + config.key_file;
    prepare(*tls);
    https_port_ = listen_on(*tls, config.tls_port);
    https_ = std::move(tls);
    if (https_port_ < 0)
      return "cannot listen on " + config.host + ":" + std::to_string(config.tls_port);
  }
  return std::nullopt;
}

void sim_server::start() {
  for (auto* s : {http_.get(), https_.get()})
    if (s)
      listeners_.emplace_back([s] { s->listen_after_bind(); });
}

void sim_server::stop() {
  stopping_.trigger();
  for (auto* s : {http_.get(), https_.get()})
    if (s)
      s->stop();
  for (auto& t : listeners_)
    if (t.joinable())
      t.join();
  listeners_.clear();
}

} // namespace kb::sim
