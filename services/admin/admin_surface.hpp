#pragma once

// Everything the admin serves, set up one way for kiro-bridge and
// kiro-admin: the REST routes (with Kiro's live model list asked of the
// supervisor), the web UI, and with watchConfig a watcher that hot-reloads.

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "services/admin/config_store.hpp"
#include "services/admin/config_watcher.hpp"

namespace kb {
class http_server;
}

namespace kb::admin {

struct admin_surface_options {
  std::string admin_token;
  std::string config_dir;
  std::string built_web_dir; ///< the UI the build made; KB_WEB_DIR overrides
  bool watch_config = false;
  /// The address the HTTP server listens on (after --host).
  std::string listen_host = "0.0.0.0";
};

/// Registers the routes and the UI; returns the watcher (null when not
/// watching), which must live as long as the server.
std::unique_ptr<config_watcher>
serve_admin(http_server& server, caf::actor_system& sys, caf::actor admin,
            caf::actor supervisor, std::shared_ptr<config_store> store,
            const admin_surface_options& opts);

} // namespace kb::admin
