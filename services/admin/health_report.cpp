#include "services/admin/health_report.hpp"

#include <algorithm>
#include <ctime>
#include <limits>

namespace kb::admin {

call_rate_tracker::call_rate_tracker(int64_t started_ms, int64_t window_ms)
  : window_ms_(window_ms) {
  // The counters start at zero with the process.
  points_.push_back({started_ms, 0, 0});
}

call_window call_rate_tracker::sample(int64_t now_ms, int64_t calls,
                                      int64_t failures) {
  points_.push_back({now_ms, calls, failures});
  // Keep the newest point at or before the window's start as the baseline.
  while (points_.size() > 2 && points_[1].at_ms <= now_ms - window_ms_)
    points_.pop_front();
  auto& base = points_.front();
  return {std::max<int64_t>(0, (now_ms - base.at_ms) / 1000),
          std::max<int64_t>(0, calls - base.calls),
          std::max<int64_t>(0, failures - base.failures)};
}

namespace {

std::string iso8601(int64_t ms) {
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool waits(const account_status& a, int64_t now_ms) {
  return a.state != "active" && a.state != "disabled" && a.available_at_ms > now_ms;
}

} // namespace

health_report assess_health(const std::vector<account_status>& accounts,
                            const call_window& recent, int64_t now_ms) {
  health_report r{"ok", {}};
  auto total = accounts.size();
  if (total == 0) {
    r.status = "down";
    r.reasons.push_back("no Kiro account is configured: add one with `kiroctl accounts "
                        "import` or the web UI's Accounts page");
    return r;
  }
  size_t disabled = 0, waiting = 0, failing = 0;
  int64_t back_at = std::numeric_limits<int64_t>::max();
  for (auto& a : accounts) {
    if (a.state == "disabled") {
      ++disabled;
    } else if (waits(a, now_ms)) {
      ++waiting;
      back_at = std::min(back_at, a.available_at_ms);
    } else if (a.state == "error") {
      ++failing; // tried again, but it failed lately
    }
  }
  auto of_total = [&](size_t n) {
    return std::to_string(n) + " of " + std::to_string(total) + " account(s)";
  };
  if (disabled == total) {
    r.status = "down";
    r.reasons.push_back("every Kiro account is disabled (" + std::to_string(total) +
                        "): enable or re-import one");
  } else if (disabled + waiting == total) {
    r.status = "down";
    r.reasons.push_back("no Kiro account can take a request until " + iso8601(back_at) +
                        ": " + of_total(waiting) +
                        " cooling down, out of quota or failing" +
                        (disabled ? ", " + std::to_string(disabled) + " disabled" : ""));
  } else {
    if (disabled > 0)
      r.reasons.push_back(of_total(disabled) + " disabled");
    if (waiting > 0)
      r.reasons.push_back(of_total(waiting) +
                          " cooling down, out of quota or failing until " +
                          iso8601(back_at));
    if (failing > 0)
      r.reasons.push_back(of_total(failing) + " failing lately");
    if (!r.reasons.empty())
      r.status = "degraded";
  }
  if (recent.calls >= min_calls_for_error_rate && recent.failures * 2 >= recent.calls) {
    if (r.status == "ok")
      r.status = "degraded";
    auto percent = recent.failures * 100 / recent.calls;
    r.reasons.push_back(std::to_string(percent) + "% of upstream calls failed in the last " +
                        std::to_string(recent.seconds) + " s (" +
                        std::to_string(recent.failures) + " of " +
                        std::to_string(recent.calls) + ")");
  }
  return r;
}

int health_level(const std::string& status) {
  return status == "ok" ? 0 : status == "degraded" ? 1 : 2;
}

} // namespace kb::admin
