#pragma once

// Command-line flags of the split daemons (kiro-supervisor, kiro-gateway,
// kiro-admin). Every flag is optional; a flag the daemon does not take, or a
// bad value, is an error text.

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kb {

struct daemon_args {
  std::string config_dir = "config";
  std::optional<std::string> host;       ///< --host: HTTP bind address
  std::optional<int> port;               ///< --port: HTTP port (0 = any free)
  std::optional<std::string> bind;       ///< --bind: supervisor's BASP bind address
  std::optional<std::string> supervisor_host; ///< --supervisor-host
  std::optional<int> supervisor_port;    ///< --supervisor-port (0 = any free, supervisor only)
  std::optional<int> health_port;        ///< --health-port (supervisor)
  bool help = false;
};

/// Parses argv[1..]; `accepted` names the flags this daemon takes (without
/// the leading dashes; "config-dir" and "help" are always accepted).
std::variant<daemon_args, std::string> parse_daemon_args(
  const std::vector<std::string>& args, const std::vector<std::string>& accepted);

/// Usage text listing `accepted` flags.
std::string daemon_usage(const std::string& program,
                         const std::vector<std::string>& accepted);

} // namespace kb
