#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "services/sim/accounts.hpp"
#include "services/sim/simulator.hpp"
#include "shared/common/result.hpp"

namespace kb::sim {

/// Command line of kiro-sim.
struct sim_options {
  std::string host = "127.0.0.1";
  int port = 0;       ///< 0 = any free port
  int tls_port = -1;  ///< -1 = no HTTPS listener; 0 = any free port
  std::string cert_file;
  std::string key_file;
  std::string accounts_file;
  int threads = 64;
  sim_limits limits;
  token_policy policy;
  uint64_t seed = 0x51a1;
  bool help = false;
};

/// Parses the arguments after the program name.
result<sim_options> parse_options(std::span<const std::string_view> args);

std::string_view usage_text() noexcept;

} // namespace kb::sim
