#pragma once

#include <cstdint>
#include <string>

namespace kb {

/// The live state of one account as the supervisor reports it (never a
/// token). `state` is one of: active, cooldown, exhausted, error, disabled.
struct account_status {
  std::string id;
  std::string email;
  std::string state;
  std::string auth_method;   ///< "social" | "IdC"
  int32_t priority = 0;
  double percent_used = 0;
  int64_t usage_reset_ms = 0;  ///< next quota reset, epoch ms (0 = unknown)
  int64_t available_at_ms = 0; ///< end of cooldown/exhaustion (0 = now)
  int64_t token_expires_ms = 0;
  int64_t last_used_ms = 0;
  std::string last_error;
  int32_t workers = 0;
  int32_t in_flight = 0;
  int64_t requests = 0;
  int64_t failures = 0;
  int64_t refreshes = 0;
};

} // namespace kb
