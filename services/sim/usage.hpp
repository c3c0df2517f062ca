#pragma once

#include <cstdint>
#include <string>

namespace kb::sim {

/// What getUsageLimits reports for one account.
struct usage_view {
  std::string user_id;
  std::string email; ///< empty: omitted (Enterprise accounts have none)
  int64_t current_usage = 0;
  int64_t usage_limit = 0;
  std::string subscription = "KIRO PRO"; ///< subscriptionTitle
};

/// 00:00:00 UTC on the first day of the month after `now` (epoch seconds).
int64_t next_month_start(int64_t now);

/// The getUsageLimits body (kiro-protocol.md §6), timestamps in epoch seconds.
std::string render_usage_limits(const usage_view& usage, int64_t now);

} // namespace kb::sim
