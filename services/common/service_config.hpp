#pragma once

// Everything a daemon reads from its config folder at start.

#include <optional>
#include <string>

#include "shared/config/accounts.hpp"
#include "shared/config/model_mapping.hpp"
#include "shared/config/server_config.hpp"

namespace kb {

struct service_config {
  std::string dir;
  std::string server_path;
  std::string accounts_path;
  std::string models_path;
  config::server_config server;
  config::accounts_file accounts;
  config::model_mapping models;
  long long drain_timeout_ms = 30000;
};

struct service_config_result {
  std::optional<service_config> value;
  std::string error; ///< set when value is empty
  explicit operator bool() const { return value.has_value(); }
};

/// Loads DIR/server-config.json, DIR/kiro-accounts.json (created empty,
/// mode 0600, when missing; accounts without an id get a UUID, persisted)
/// and DIR/model-mapping.json (built-in table when missing).
service_config_result load_service_config(const std::string& dir);

/// Applies the config's log level and opens its log files under
/// `logDir/subdir` (subdir may be empty); a failure to open them is told on
/// stderr, prefixed with `program`, and logging stays on stderr.
void start_logging(const config::server_config& server, const std::string& subdir,
                   const std::string& program);

} // namespace kb
