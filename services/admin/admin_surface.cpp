#include "services/admin/admin_surface.hpp"

#include "services/admin/admin_commands.hpp"
#include "services/admin/admin_routes.hpp"
#include "services/admin/web_ui.hpp"
#include "services/common/log.hpp"
#include "services/http/http_server.hpp"

namespace kb::admin {

std::unique_ptr<config_watcher>
serve_admin(http_server& server, caf::actor_system& sys, caf::actor admin,
            caf::actor supervisor, std::shared_ptr<config_store> store,
            const admin_surface_options& opts) {
  admin_routes_config cfg;
  cfg.admin_token = opts.admin_token;
  cfg.listen_host = opts.listen_host;
  cfg.supervisor = supervisor;
  cfg.store = store;
  cfg.live_models = [&sys, supervisor] { return live_kiro_models(sys, supervisor); };
  register_admin_routes(server, sys, admin, std::move(cfg));
  register_web_ui(server, web_dist_dir(opts.built_web_dir));
  if (!opts.watch_config)
    return nullptr;
  auto watcher = std::make_unique<config_watcher>(
    opts.config_dir,
    std::vector<std::string>{"server-config.json", "kiro-accounts.json",
                             "model-mapping.json"},
    std::chrono::milliseconds(500), [&sys, supervisor, admin, store] {
      auto reply = hot_reload(sys, supervisor, admin, *store);
      KB_INFO("admin", "config files changed: reload answered " << reply.status);
    });
  if (!watcher->active())
    KB_WARN("admin", "watchConfig: cannot watch " << opts.config_dir);
  return watcher;
}

} // namespace kb::admin
