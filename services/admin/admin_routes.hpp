#pragma once

// The admin REST surface on an httplib server (see services/admin/README.md
// for the endpoint list). Who is answered is services/admin/access.hpp's
// rule: the adminToken, or loopback while listening on loopback and not
// behind a proxy; mutations only from the bridge's own origin with JSON
// bodies. /api/health is public (load balancers use it); /metrics follows
// the admin rule (it names accounts and traffic).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace kb {
class http_server;
}

namespace kb::metrics {
class registry;
}

namespace kb::admin {

class config_store;

struct admin_routes_config {
  /// The token used when there is no `store` (else the store's adminToken,
  /// so a hot reload can change it).
  std::string admin_token;
  /// Extra Host names without a token, used when there is no `store`.
  std::vector<std::string> admin_hosts;
  /// The address the server listens on; beyond loopback (the default
  /// "0.0.0.0" too) the admin API needs adminToken.
  std::string listen_host = "127.0.0.1";
  std::string version = "0.1.0";
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  /// Receives the account commands of proto/protocol.md; null → 503.
  caf::actor supervisor;
  /// Config view, model mapping edits, hot reload; null → 503.
  std::shared_ptr<config_store> store;
  /// Kiro's live model list (ListAvailableModels through a healthy
  /// account); optional: without it, or when it fails, the static list.
  std::function<std::optional<std::vector<std::string>>()> live_models;
  std::chrono::seconds models_cache_ttl{3600};
  /// Where /metrics reads from; null = metrics::global().
  metrics::registry* metrics = nullptr;
};

void register_admin_routes(http_server& server, caf::actor_system& sys,
                           caf::actor admin, admin_routes_config cfg);

/// The reply of a hot reload: HTTP status and JSON body.
struct reload_reply {
  int status = 200;
  std::string body;
};

/// Validates the three files, reloads the supervisor's accounts, swaps the
/// config in (the store's listeners update the gateway), applies logLevel
/// and log files at once. A bad file → 400 naming file, line and key, and
/// the running config stays. Used by the route and by the file watcher.
reload_reply hot_reload(caf::actor_system& sys, const caf::actor& supervisor,
                        const caf::actor& admin, config_store& store);

} // namespace kb::admin
