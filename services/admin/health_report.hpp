#pragma once

// Whether the bridge can serve, as /api/health reports it: `ok`, `degraded`
// (some accounts cannot serve, or most recent upstream calls failed) or
// `down` (no request can be served now), each with the reasons. Plain
// values in, plain values out: the rules are unit-tested without a server.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "proto/account_status.hpp"

namespace kb::admin {

/// Upstream calls and their failures over the recent window.
struct call_window {
  int64_t seconds = 0;
  int64_t calls = 0;
  int64_t failures = 0;
};

/// Keeps totals sampled at each look, so a cumulative pair of counters
/// (calls, failures since start) becomes the counts of the last `window_ms`.
class call_rate_tracker {
public:
  call_rate_tracker(int64_t started_ms, int64_t window_ms);
  /// Records the totals at `now_ms` and returns the window's counts.
  call_window sample(int64_t now_ms, int64_t calls, int64_t failures);

private:
  struct point {
    int64_t at_ms, calls, failures;
  };
  int64_t window_ms_;
  std::deque<point> points_;
};

struct health_report {
  std::string status; ///< "ok" | "degraded" | "down"
  std::vector<std::string> reasons;
};

/// At least this many calls in the window before their failure rate counts.
inline constexpr int64_t min_calls_for_error_rate = 3;

health_report assess_health(const std::vector<account_status>& accounts,
                            const call_window& recent, int64_t now_ms);

/// 0 ok, 1 degraded, 2 down (the gauge's value).
int health_level(const std::string& status);

} // namespace kb::admin
