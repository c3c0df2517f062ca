#include "services/admin/admin_routes.hpp"

#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/admin/access.hpp"
#include "services/admin/account_requests.hpp"
#include "services/admin/admin_commands.hpp"
#include "services/admin/config_store.hpp"
#include "services/admin/health_report.hpp"
#include "services/common/log.hpp"
#include "services/common/metrics.hpp"
#include "services/http/http_server.hpp"

namespace kb::admin {

namespace {

using nlohmann::json;
using handler = std::function<void(const httplib::Request&, httplib::Response&)>;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

json error_body(std::string_view type, std::string_view message) {
  return {{"error", {{"type", type}, {"message", message}}}};
}

void send_error(httplib::Response& res, int status, std::string_view message) {
  std::string_view type = status == 404   ? "not_found_error"
                          : status == 401 ? "authentication_error"
                          : status == 403 ? "permission_error"
                          : status < 500  ? "invalid_request_error"
                                          : "api_error";
  send_json(res, status, error_body(type, message));
}

std::string iso8601(int64_t ms) {
  if (ms <= 0)
    return {};
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json to_json(const account_status& a) {
  return {{"id", a.id},
          {"email", a.email},
          {"status", a.state},
          {"authMethod", a.auth_method},
          {"priority", a.priority},
          {"percentUsed", a.percent_used},
          {"usageResetAt", iso8601(a.usage_reset_ms)},
          {"availableAt", iso8601(a.available_at_ms)},
          {"tokenExpiresAt", iso8601(a.token_expires_ms)},
          {"lastUsedAt", iso8601(a.last_used_ms)},
          {"lastError", a.last_error},
          {"workers", a.workers},
          {"inFlight", a.in_flight},
          {"requests", a.requests},
          {"failures", a.failures},
          {"refreshes", a.refreshes}};
}

std::optional<json> parse_body(const httplib::Request& req, httplib::Response& res) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    send_error(res, 400, "the body is not valid JSON");
    return std::nullopt;
  }
  return body;
}

/// A command's `(ok, message)` as an HTTP reply; a success message is JSON.
void send_command_reply(httplib::Response& res, const command_reply& r,
                        int ok_status = 200) {
  if (!r.answered) {
    send_error(res, 503, r.message);
    return;
  }
  if (r.ok) {
    auto body = json::parse(r.message, nullptr, false);
    send_json(res, ok_status, body.is_discarded() ? json{{"message", r.message}} : body);
    return;
  }
  send_error(res, r.message.rfind("no account with id", 0) == 0 ? 404 : 400, r.message);
}

/// Everything the route handlers share.
struct admin_context {
  caf::actor_system& sys;
  caf::actor admin;
  admin_routes_config cfg;
  std::mutex models_cache_mutex;
  std::optional<std::vector<std::string>> live_models_cache;
  std::chrono::steady_clock::time_point live_models_at{};
  std::mutex calls_mutex;
  call_rate_tracker recent_calls;

  admin_context(caf::actor_system& s, caf::actor a, admin_routes_config c)
    : sys(s), admin(std::move(a)), cfg(std::move(c)),
      recent_calls(wall_ms(), 5 * 60 * 1000) {
    // nop
  }

  static int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  }

  metrics::registry& registry() const {
    return cfg.metrics ? *cfg.metrics : metrics::global();
  }

  /// The admin rules (services/admin/access.hpp) as of the running config.
  admin_verdict judge(const httplib::Request& req) const {
    auto current = cfg.store ? cfg.store->current() : nullptr;
    std::string token = current ? current->server.admin_token : cfg.admin_token;
    const auto& hosts = current ? current->server.admin_hosts : cfg.admin_hosts;
    auto authorization = req.get_header_value("Authorization");
    auto host = req.get_header_value("Host");
    auto origin = req.get_header_value("Origin");
    auto content_type = req.get_header_value("Content-Type");
    admin_request r;
    r.method = req.method;
    r.authorization = authorization;
    r.remote_addr = req.remote_addr;
    r.host = host;
    r.has_origin = req.has_header("Origin");
    r.origin = origin;
    r.content_type = content_type;
    r.has_body = !req.body.empty();
    r.forwarded = req.has_header("X-Forwarded-For") || req.has_header("Forwarded") ||
                  req.has_header("X-Real-IP");
    return judge_admin_request(r, {token, cfg.listen_host, &hosts});
  }

  /// Admin access rule; answers the refusal itself.
  bool allowed(const httplib::Request& req, httplib::Response& res) const {
    auto verdict = judge(req);
    if (verdict.allowed())
      return true;
    send_error(res, verdict.status, verdict.message);
    return false;
  }

  handler guarded(handler h) const {
    return [this, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
      if (allowed(req, res))
        h(req, res);
    };
  }

  bool need_store(httplib::Response& res) const {
    if (cfg.store)
      return true;
    send_error(res, 503, "this daemon does not manage the config files");
    return false;
  }
};

// -- accounts ------------------------------------------------------------------

void list_accounts(admin_context& ctx, httplib::Response& res) {
  auto accounts = fetch_accounts(ctx.sys, ctx.admin);
  if (!accounts) {
    send_error(res, 503, "admin actor did not answer");
    return;
  }
  json list = json::array();
  for (auto& a : *accounts)
    list.push_back(to_json(a));
  send_json(res, 200, {{"accounts", list}});
}

void add_account(admin_context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body)
    return;
  auto account = account_from_add_request(*body);
  if (auto* err = std::get_if<std::string>(&account)) {
    send_error(res, 400, *err);
    return;
  }
  auto reply = supervisor_command(ctx.sys, ctx.cfg.supervisor, atom::add::value,
                                  std::get<json>(account).dump());
  if (reply.ok)
    KB_INFO("admin", "account added: " << reply.message);
  bool updated = reply.ok && reply.message.find("\"updated\":true") != std::string::npos;
  send_command_reply(res, reply, updated ? 200 : 201);
}

void import_accounts(admin_context& ctx, const httplib::Request& req,
                     httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body)
    return;
  auto accounts = accounts_from_import(*body);
  if (auto* err = std::get_if<std::string>(&accounts)) {
    send_error(res, 400, *err);
    return;
  }
  json added = json::array();
  json updated = json::array(); // the same account again: changed in place
  json failed = json::array();
  auto& list = std::get<std::vector<json>>(accounts);
  for (size_t i = 0; i < list.size(); ++i) {
    auto reply = supervisor_command(ctx.sys, ctx.cfg.supervisor, atom::add::value,
                                    list[i].dump());
    if (!reply.answered) {
      send_error(res, 503, reply.message);
      return;
    }
    if (reply.ok) {
      auto id = json::parse(reply.message, nullptr, false);
      if (id.is_object() && id.value("updated", false))
        updated.push_back({{"index", i}, {"id", id.value("id", "")},
                           {"matchedOn", id.value("matchedOn", "")}});
      else
        added.push_back(id.is_object() ? id.value("id", "") : "");
    } else {
      failed.push_back({{"index", i}, {"message", reply.message}});
    }
  }
  KB_INFO("admin", "import: " << added.size() << " added, " << updated.size() << " updated, "
                             << failed.size() << " refused");
  send_json(res, added.empty() && updated.empty() ? 400 : 200,
            {{"added", added}, {"updated", updated}, {"failed", failed}});
}

void patch_account(admin_context& ctx, const httplib::Request& req,
                   httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body)
    return;
  auto patch = account_patch(*body);
  if (auto* err = std::get_if<std::string>(&patch)) {
    send_error(res, 400, *err);
    return;
  }
  send_command_reply(res, supervisor_command(ctx.sys, ctx.cfg.supervisor,
                                             atom::update::value, req.matches[1].str(),
                                             std::get<json>(patch).dump()));
}

void delete_account(admin_context& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  auto id = req.matches[1].str();
  auto reply = supervisor_command(ctx.sys, ctx.cfg.supervisor, atom::remove::value, id);
  if (reply.ok && ctx.admin)
    caf::anon_send(ctx.admin, atom::remove::value, id);
  send_command_reply(res, reply);
}

/// A failed test is the upstream's answer, not a bad request: 502.
void send_test_reply(httplib::Response& res, const command_reply& r) {
  if (r.answered && !r.ok && r.message.rfind("no account with id", 0) != 0) {
    send_json(res, 502, {{"ok", false}, {"error", r.message}});
    return;
  }
  send_command_reply(res, r);
}

void test_account(admin_context& ctx, const httplib::Request& req, httplib::Response& res) {
  send_test_reply(res, supervisor_command(ctx.sys, ctx.cfg.supervisor, atom::test::value,
                                          req.matches[1].str()));
}

void reset_account(admin_context& ctx, const httplib::Request& req,
                   httplib::Response& res) {
  auto id = req.matches[1].str();
  auto refreshed = supervisor_command(ctx.sys, ctx.cfg.supervisor, atom::refresh::value, id);
  if (!refreshed.ok) {
    send_command_reply(res, refreshed);
    return;
  }
  auto tested = supervisor_command(ctx.sys, ctx.cfg.supervisor, atom::test::value, id);
  json refresh_body = json::parse(refreshed.message, nullptr, false);
  json test_body = tested.ok ? json::parse(tested.message, nullptr, false)
                             : json{{"ok", false}, {"error", tested.message}};
  send_json(res, tested.ok ? 200 : 502,
            {{"id", id}, {"refresh", refresh_body}, {"test", test_body}});
}

// -- models --------------------------------------------------------------------

json mapping_json(const config::model_mapping& m) {
  json mappings = json::object();
  for (auto& e : m.entries)
    mappings[e.claude_model] = e.kiro_model;
  return {{"mappings", mappings},
          {"default", m.default_model},
          {"shape", m.shape == config::mapping_shape::flat ? "flat" : "released"}};
}

void list_models(admin_context& ctx, httplib::Response& res) {
  if (!ctx.need_store(res))
    return;
  send_json(res, 200, mapping_json(ctx.cfg.store->current()->models));
}

/// `{"kiro": "<kiro id>"}` from a PUT body.
std::optional<std::string> kiro_target(const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body)
    return std::nullopt;
  if (!body->is_object() || !body->contains("kiro") || !(*body)["kiro"].is_string() ||
      (*body)["kiro"].get<std::string>().empty()) {
    send_error(res, 400, "the body must be {\"kiro\": \"<kiro model id>\"}");
    return std::nullopt;
  }
  return (*body)["kiro"].get<std::string>();
}

void send_edit(httplib::Response& res, const edit_outcome& out, const json& body) {
  if (out.status >= 300)
    send_error(res, out.status, out.message);
  else
    send_json(res, out.status, body);
}

void put_mapping(admin_context& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.need_store(res))
    return;
  auto claude = req.matches[1].str();
  auto kiro = kiro_target(req, res);
  if (!kiro)
    return;
  auto out = ctx.cfg.store->edit_models([&](config::model_mapping& m) {
    m.set(claude, *kiro);
    return edit_outcome{};
  });
  KB_INFO("admin", "model mapping " << claude << " → " << *kiro);
  send_edit(res, out,
            {{"claude", claude}, {"kiro", *kiro}, {"known", config::is_known_kiro_model(*kiro)}});
}

void delete_mapping(admin_context& ctx, const httplib::Request& req,
                    httplib::Response& res) {
  if (!ctx.need_store(res))
    return;
  auto claude = req.matches[1].str();
  auto out = ctx.cfg.store->edit_models([&](config::model_mapping& m) {
    if (!m.remove(claude))
      return edit_outcome{404, "no mapping for " + claude};
    return edit_outcome{};
  });
  send_edit(res, out, {{"removed", claude}});
}

void put_default(admin_context& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.need_store(res))
    return;
  auto kiro = kiro_target(req, res);
  if (!kiro)
    return;
  auto out = ctx.cfg.store->edit_models([&](config::model_mapping& m) {
    m.default_model = *kiro;
    return edit_outcome{};
  });
  send_edit(res, out, {{"default", *kiro}, {"known", config::is_known_kiro_model(*kiro)}});
}

void resolve_model(admin_context& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.need_store(res))
    return;
  auto model = req.get_param_value("model");
  if (model.empty()) {
    send_error(res, 400, "the query needs ?model=<claude model id>");
    return;
  }
  auto models = ctx.cfg.store->current()->models;
  auto* exact = models.find(model);
  send_json(res, 200, {{"model", model},
                       {"kiro", config::resolve(models, model)},
                       {"exactMapping", exact != nullptr},
                       {"normalized", config::normalize_model_id(model)}});
}

void available_models(admin_context& ctx, httplib::Response& res) {
  std::optional<std::vector<std::string>> live;
  if (ctx.cfg.live_models) {
    std::lock_guard<std::mutex> guard{ctx.models_cache_mutex};
    auto now = std::chrono::steady_clock::now();
    if (!ctx.live_models_cache || now - ctx.live_models_at > ctx.cfg.models_cache_ttl) {
      // Only answers are cached: a failed ask is retried on the next call.
      if (auto fresh = ctx.cfg.live_models()) {
        ctx.live_models_cache = std::move(fresh);
        ctx.live_models_at = now;
      }
    }
    live = ctx.live_models_cache;
  }
  json models = json::array();
  for (auto& id : live ? *live : config::known_kiro_models())
    models.push_back(id);
  send_json(res, 200, {{"models", models}, {"source", live ? "kiro" : "static"}});
}

// -- config, logs, metrics ------------------------------------------------------

void show_config(admin_context& ctx, httplib::Response& res) {
  if (!ctx.need_store(res))
    return;
  auto c = ctx.cfg.store->current();
  send_json(res, 200,
            {{"server", config::masked_view(c->server)},
             {"models", mapping_json(c->models)},
             {"files",
              {{"server", c->server_path},
               {"accounts", c->accounts_path},
               {"models", c->models_path}}},
             {"logLevel", log::level_name(log::current_level())}});
}

void show_log(const httplib::Request& req, httplib::Response& res) {
  auto name = req.matches[1].str();
  if (name.find("..") != std::string::npos || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos) {
    send_error(res, 400, "a log name is a plain file name");
    return;
  }
  if (!log::category_of_file(name)) {
    send_error(res, 404, "no log " + name + " (server-debug.log, server-error.log, "
                         "claude-code.log, kiro-api.log)");
    return;
  }
  std::size_t lines = 100;
  if (req.has_param("lines")) {
    auto text = req.get_param_value("lines");
    char* end = nullptr;
    auto n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || n < 1 || n > 10000) {
      send_error(res, 400, "lines must be an integer from 1 to 10000");
      return;
    }
    lines = static_cast<std::size_t>(n);
  }
  auto dir = log::files_dir();
  if (dir.empty()) {
    send_error(res, 404, "file logging is off");
    return;
  }
  // The last 8 MiB (log files rotate at maxSize anyway).
  auto tail = log::read_file_tail(dir + "/" + name, 8u << 20);
  if (tail.result == log::tail_read::state::not_regular) {
    send_error(res, 403, "log " + name + " is not a regular file (a symbolic link or "
                         "device in logDir), so it is not served");
    return;
  }
  res.status = 200;
  res.set_content(log::tail_lines(tail.text, lines), "text/plain; charset=utf-8");
}

void refresh_account_gauges(admin_context& ctx) {
  auto& r = ctx.registry();
  using metrics::names::account_state;
  if (auto accounts = fetch_accounts(ctx.sys, ctx.admin)) {
    for (auto* family : {metrics::names::accounts, account_state,
                         metrics::names::account_requests, metrics::names::account_failures,
                         metrics::names::token_refreshes, metrics::names::account_usage,
                         metrics::names::account_in_flight})
      r.clear(family);
    std::map<std::string, int> by_state;
    for (auto& a : *accounts) {
      ++by_state[a.state];
      r.set(account_state, {{"account", a.id}, {"state", a.state}}, 1);
      r.set(metrics::names::account_requests, {{"account", a.id}},
            static_cast<double>(a.requests));
      r.set(metrics::names::account_failures, {{"account", a.id}},
            static_cast<double>(a.failures));
      r.set(metrics::names::token_refreshes, {{"account", a.id}},
            static_cast<double>(a.refreshes));
      r.set(metrics::names::account_usage, {{"account", a.id}}, a.percent_used);
      r.set(metrics::names::account_in_flight, {{"account", a.id}}, a.in_flight);
    }
    for (auto state : {"active", "cooldown", "exhausted", "error", "disabled"})
      by_state.try_emplace(state, 0);
    for (auto& [state, n] : by_state)
      r.set(metrics::names::accounts, {{"state", state}}, n);
  }
  if (auto status = supervisor_status(ctx.sys, ctx.cfg.supervisor)) {
    auto j = json::parse(*status, nullptr, false);
    if (j.is_object()) {
      r.set(metrics::names::queue_depth, {}, j.value("queueDepth", 0.0));
      r.set(metrics::names::pending_requests, {}, j.value("pending", 0.0));
      r.set(metrics::names::upstream_in_flight, {}, j.value("inFlight", 0.0));
    }
  }
}

/// The health verdict for these accounts (and the calls since the last look).
health_report current_health(admin_context& ctx,
                             const std::optional<std::vector<account_status>>& accounts,
                             call_window* recent_out = nullptr) {
  int64_t calls = 0, failures = 0;
  for (auto& a : accounts.value_or(std::vector<account_status>{})) {
    calls += a.requests;
    failures += a.failures;
  }
  auto now = admin_context::wall_ms();
  call_window recent;
  {
    std::lock_guard lock{ctx.calls_mutex};
    recent = ctx.recent_calls.sample(now, calls, failures);
  }
  if (recent_out)
    *recent_out = recent;
  if (!accounts)
    return {"down", {"the admin actor did not answer"}};
  return assess_health(*accounts, recent, now);
}

void set_health_gauge(metrics::registry& r, const health_report& h) {
  for (auto status : {"ok", "degraded", "down"})
    r.set(metrics::names::health_status, {{"status", status}}, h.status == status ? 1 : 0);
}

void show_metrics(admin_context& ctx, httplib::Response& res) {
  refresh_account_gauges(ctx);
  set_health_gauge(ctx.registry(), current_health(ctx, fetch_accounts(ctx.sys, ctx.admin)));
  res.status = 200;
  res.set_content(ctx.registry().render(), "text/plain; version=0.0.4; charset=utf-8");
}

void show_health(admin_context& ctx, httplib::Response& res) {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::steady_clock::now() - ctx.cfg.started)
                  .count();
  json counts = json::object();
  size_t total = 0;
  auto accounts = fetch_accounts(ctx.sys, ctx.admin);
  for (auto& a : accounts.value_or(std::vector<account_status>{})) {
    counts[a.state] = counts.value(a.state, 0) + 1;
    ++total;
  }
  call_window recent;
  auto health = current_health(ctx, accounts, &recent);
  set_health_gauge(ctx.registry(), health);
  // Always 200 while the process answers (compose healthchecks use curl -f
  // on it): `status` says whether requests can be served, `reasons` why not.
  send_json(res, 200,
            {{"status", health.status},
             {"reason", health.reasons.empty() ? "" : health.reasons.front()},
             {"reasons", health.reasons},
             {"version", ctx.cfg.version},
             {"uptimeSeconds", uptime},
             {"accounts", {{"total", total}, {"byState", counts}}},
             {"upstreamCalls",
              {{"windowSeconds", recent.seconds},
               {"calls", recent.calls},
               {"failures", recent.failures}}}});
}

} // namespace

void register_admin_routes(http_server& server, caf::actor_system& sys,
                           caf::actor admin, admin_routes_config cfg) {
  metrics::describe_bridge_metrics(cfg.metrics ? *cfg.metrics : metrics::global());
  // Lives as long as the server's routes, i.e. the process.
  auto ctx = std::make_shared<admin_context>(sys, std::move(admin), std::move(cfg));
  auto* c = ctx.get();
  auto keep = [ctx](handler h) {
    return [ctx, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
      h(req, res);
    };
  };
  auto route = [&](handler h) { return keep(c->guarded(std::move(h))); };
  {
    auto current = c->cfg.store ? c->cfg.store->current() : nullptr;
    admin_policy policy{current ? current->server.admin_token : c->cfg.admin_token,
                        c->cfg.listen_host,
                        current ? &current->server.admin_hosts : &c->cfg.admin_hosts};
    if (policy.admin_token.empty() && !is_loopback_listen(policy.listen_host))
      KB_WARN("admin", admin_access_summary(policy));
    else
      KB_INFO("admin", admin_access_summary(policy));
  }

  server.Get("/api/health", keep([c](auto&, auto& res) { show_health(*c, res); }));
  server.Get("/health", keep([c](auto&, auto& res) { show_health(*c, res); }));
  server.Get("/metrics", route([c](auto&, auto& res) { show_metrics(*c, res); }));
  server.Get("/api/config", route([c](auto&, auto& res) { show_config(*c, res); }));
  server.Post("/api/config/hot-reload", route([c](auto&, auto& res) {
    if (!c->need_store(res))
      return;
    auto reply = hot_reload(c->sys, c->cfg.supervisor, c->admin, *c->cfg.store);
    res.status = reply.status;
    res.set_content(reply.body, "application/json");
  }));
  server.Get(R"(/api/logs/(.+))", route([](auto& req, auto& res) { show_log(req, res); }));

  server.Get("/api/accounts", route([c](auto&, auto& res) { list_accounts(*c, res); }));
  server.Post("/api/accounts", route([c](auto& req, auto& res) { add_account(*c, req, res); }));
  server.Post("/api/accounts/import",
              route([c](auto& req, auto& res) { import_accounts(*c, req, res); }));
  server.Patch(R"(/api/accounts/([^/]+))",
               route([c](auto& req, auto& res) { patch_account(*c, req, res); }));
  server.Delete(R"(/api/accounts/([^/]+))",
                route([c](auto& req, auto& res) { delete_account(*c, req, res); }));
  server.Post(R"(/api/accounts/([^/]+)/test)",
              route([c](auto& req, auto& res) { test_account(*c, req, res); }));
  server.Post(R"(/api/accounts/([^/]+)/reset)",
              route([c](auto& req, auto& res) { reset_account(*c, req, res); }));

  server.Get("/api/models", route([c](auto&, auto& res) { list_models(*c, res); }));
  server.Get("/api/models/resolve",
             route([c](auto& req, auto& res) { resolve_model(*c, req, res); }));
  server.Get("/api/models/available",
             route([c](auto&, auto& res) { available_models(*c, res); }));
  server.Put("/api/models/default",
             route([c](auto& req, auto& res) { put_default(*c, req, res); }));
  server.Put(R"(/api/models/([^/]+))",
             route([c](auto& req, auto& res) { put_mapping(*c, req, res); }));
  server.Delete(R"(/api/models/([^/]+))",
                route([c](auto& req, auto& res) { delete_mapping(*c, req, res); }));
}

} // namespace kb::admin
