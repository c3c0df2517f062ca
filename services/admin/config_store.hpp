#pragma once

// The configuration the admin API serves and edits. Every write of a config
// file and every swap of the running config goes through one mutex here, so
// concurrent edits never lose an update. Listeners see each new config.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/common/service_config.hpp"

namespace kb::admin {

/// The answer to an edit: 2xx with a message, or a refusal status.
struct edit_outcome {
  int status = 200;
  std::string message;
};

struct reload_outcome {
  std::optional<config::config_error> error; ///< a file was refused
  std::string apply_error;                   ///< applying was refused
  /// Keys that changed but only take effect after a restart (host, port).
  std::vector<std::string> restart_required;
  std::string applied; ///< what apply_accounts reported (JSON text)
};

class config_store {
public:
  using listener = std::function<void(const service_config&)>;

  explicit config_store(service_config initial);

  std::shared_ptr<const service_config> current() const;
  /// Called (under the write lock) after every successful change.
  void add_listener(listener l);

  /// Applies `change` to a copy of the model mapping, saves it atomically
  /// and swaps it in; nothing changes when `change` refuses (status ≥ 300)
  /// or the file cannot be written.
  edit_outcome edit_models(const std::function<edit_outcome(config::model_mapping&)>& change);

  /// Validates all three files; if they are good, asks `apply_accounts`
  /// (the supervisor's reload; returns an error text or nullopt and fills
  /// `applied`), then swaps in the new config. Nothing changes on failure.
  reload_outcome reload(
    const std::function<std::optional<std::string>(std::string& applied)>& apply_accounts);

private:
  void publish(std::shared_ptr<const service_config> next);

  mutable std::mutex read_mutex_;
  std::mutex write_mutex_;
  std::shared_ptr<const service_config> current_;
  /// host/port as the process started with them (restarts are judged by it).
  config::server_config started_server_;
  std::vector<listener> listeners_;
};

/// Keys whose change needs a restart: "host", "port".
std::vector<std::string> restart_keys(const config::server_config& running,
                                      const config::server_config& next);

} // namespace kb::admin
