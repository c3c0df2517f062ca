#include "services/admin/admin_routes.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"

namespace kb::admin {

namespace {

using nlohmann::json;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

bool is_loopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" ||
         addr.rfind("::ffff:127.", 0) == 0;
}

/// Admin access rule; answers the refusal itself.
bool allowed(const admin_routes_config& cfg, const httplib::Request& req,
             httplib::Response& res) {
  if (!cfg.admin_token.empty()) {
    auto auth = req.get_header_value("Authorization");
    if (auth == "Bearer " + cfg.admin_token)
      return true;
    send_json(res, 401,
              {{"error", {{"type", "authentication_error"},
                          {"message", "admin API requires Authorization: "
                                      "Bearer <adminToken>"}}}});
    return false;
  }
  if (is_loopback(req.remote_addr))
    return true;
  send_json(res, 403,
            {{"error", {{"type", "permission_error"},
                        {"message", "no adminToken is configured, so the admin "
                                    "API answers loopback clients only"}}}});
  return false;
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

std::optional<std::vector<account_status>> fetch_accounts(caf::actor_system& sys,
                                                          const caf::actor& admin) {
  caf::scoped_actor self{sys};
  std::optional<std::vector<account_status>> out;
  self->request(admin, std::chrono::seconds(5), caf::get_atom::value,
                atom::accounts::value)
    .receive([&](std::vector<account_status>& xs) { out = std::move(xs); },
             [&](caf::error&) {});
  return out;
}

} // namespace

void register_admin_routes(httplib::Server& server, caf::actor_system& sys,
                           caf::actor admin, admin_routes_config cfg) {
  auto shared_cfg = std::make_shared<admin_routes_config>(std::move(cfg));
  server.Get("/api/health", [&sys, admin, shared_cfg](const httplib::Request&,
                                                       httplib::Response& res) {
    // Health is public: load balancers and compose health checks use it.
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::steady_clock::now() - shared_cfg->started)
                    .count();
    json counts = json::object();
    size_t total = 0;
    if (auto accounts = fetch_accounts(sys, admin)) {
      for (auto& a : *accounts) {
        counts[a.state] = counts.value(a.state, 0) + 1;
        ++total;
      }
    }
    send_json(res, 200,
              {{"status", "ok"},
               {"version", shared_cfg->version},
               {"uptimeSeconds", uptime},
               {"accounts", {{"total", total}, {"byState", counts}}}});
  });
  server.Get("/api/accounts", [&sys, admin, shared_cfg](const httplib::Request& req,
                                                         httplib::Response& res) {
    if (!allowed(*shared_cfg, req, res))
      return;
    auto accounts = fetch_accounts(sys, admin);
    if (!accounts) {
      send_json(res, 503, {{"error", {{"type", "api_error"},
                                      {"message", "admin actor did not answer"}}}});
      return;
    }
    json list = json::array();
    for (auto& a : *accounts)
      list.push_back(to_json(a));
    send_json(res, 200, {{"accounts", list}});
  });
}

} // namespace kb::admin
