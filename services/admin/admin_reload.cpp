#include "services/admin/admin_routes.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "services/admin/admin_commands.hpp"
#include "services/admin/config_store.hpp"
#include "services/common/log.hpp"

namespace kb::admin {

namespace {

using nlohmann::json;

/// Log level at once; log files reopened when their folder or rotation changed.
void apply_logging(const config::server_config& before, const config::server_config& after) {
  log::set_level(log::parse_level(after.log_level));
  if (before.log_dir != after.log_dir ||
      before.log_rotation.max_size_bytes != after.log_rotation.max_size_bytes ||
      before.log_rotation.max_files != after.log_rotation.max_files) {
    if (auto err = log::open_files({after.log_dir, after.log_rotation.max_size_bytes,
                                    after.log_rotation.max_files}))
      KB_ERROR("admin", *err);
  }
}

} // namespace

reload_reply hot_reload(caf::actor_system& sys, const caf::actor& supervisor,
                        const caf::actor& admin, config_store& store) {
  auto before = store.current();
  json changes;
  auto outcome = store.reload([&](std::string& applied) -> std::optional<std::string> {
    if (!supervisor)
      return std::nullopt;
    auto reply = supervisor_command(sys, supervisor, atom::reload::value);
    if (!reply.ok)
      return reply.message;
    applied = reply.message;
    return std::nullopt;
  });
  if (outcome.error) {
    auto& e = *outcome.error;
    KB_WARN("admin", "hot reload refused: " << e.to_string());
    return {400, json{{"error",
                       {{"type", "invalid_request_error"},
                        {"message", e.to_string() + "; the running configuration is kept"},
                        {"file", e.file},
                        {"line", e.line},
                        {"key", e.key}}}}
                   .dump()};
  }
  if (!outcome.apply_error.empty()) {
    KB_WARN("admin", "hot reload refused by the supervisor: " << outcome.apply_error);
    return {400, json{{"error",
                       {{"type", "invalid_request_error"},
                        {"message", outcome.apply_error +
                                      "; the running configuration is kept"}}}}
                   .dump()};
  }
  auto after = store.current();
  apply_logging(before->server, after->server);
  json accounts = json::parse(outcome.applied, nullptr, false);
  if (accounts.is_discarded())
    accounts = json::object();
  for (auto& id : accounts.value("removed", json::array()))
    if (id.is_string() && admin)
      caf::anon_send(admin, atom::remove::value, id.get<std::string>());
  KB_INFO("admin", "hot reload applied (" << after->models.entries.size()
                                          << " model mapping(s), log level "
                                          << after->server.log_level << ")");
  return {200, json{{"ok", true},
                    {"accounts", accounts},
                    {"models", after->models.entries.size()},
                    {"logLevel", after->server.log_level},
                    {"restartRequired", outcome.restart_required}}
                 .dump()};
}

} // namespace kb::admin
