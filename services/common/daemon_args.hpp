#pragma once

// Command-line flags of the split daemons (kiro-supervisor, kiro-gateway,
// kiro-admin). Every flag is optional; a flag the daemon does not take, or a
// bad value, is an error text.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "services/common/service_config.hpp"

namespace kb {

struct daemon_args {
  std::string config_dir = "config";
  std::optional<std::string> host;       ///< --host: HTTP bind address
  std::optional<int> port;               ///< --port: HTTP port (0 = any free)
  std::optional<std::string> bind;       ///< --bind: supervisor's BASP bind address (else cluster.bindHost)
  std::optional<std::string> supervisor_host; ///< --supervisor-host
  std::optional<int> supervisor_port;    ///< --supervisor-port (0 = any free, supervisor only)
  std::optional<int> health_port;        ///< --health-port (supervisor)
  /// --cluster-ca, --cluster-cert, --cluster-key: cluster.tls's files
  /// (all three or none; they replace the config's).
  std::optional<std::string> cluster_ca, cluster_cert, cluster_key;
  bool help = false;
};

/// Parses argv[1..]; `accepted` names the flags this daemon takes (without
/// the leading dashes; "config-dir" and "help" are always accepted).
std::variant<daemon_args, std::string> parse_daemon_args(
  const std::vector<std::string>& args, const std::vector<std::string>& accepted);

/// Usage text listing `accepted` flags.
std::string daemon_usage(const std::string& program,
                         const std::vector<std::string>& accepted);

/// What a split daemon has once it started: its flags and its config.
struct daemon_start {
  daemon_args args;
  service_config conf;
};

/// The start every split daemon shares: parse the flags (usage on error or
/// --help), block termination signals, load the config folder, start
/// logging under `logDir/log_subdir`. Returns the daemon_start, or the exit
/// code main should return (0 after --help, 2 for bad flags, 1 for a bad
/// config).
std::variant<daemon_start, int> start_daemon(int argc, char** argv,
                                             const std::string& program,
                                             const std::vector<std::string>& accepted,
                                             const std::string& log_subdir);

} // namespace kb
