#include "services/supervisor/account_pool.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace kb::pool {

std::optional<strategy> parse_strategy(std::string_view name) {
  if (name == "auto") return strategy::auto_;
  if (name == "random") return strategy::random;
  if (name == "first") return strategy::first;
  if (name == "round-robin") return strategy::round_robin;
  if (name == "least-inflight") return strategy::least_inflight;
  return std::nullopt;
}

std::string_view to_string(account_state s) {
  switch (s) {
    case account_state::active: return "active";
    case account_state::cooldown: return "cooldown";
    case account_state::exhausted: return "exhausted";
    case account_state::error: return "error";
    case account_state::disabled: return "disabled";
  }
  return "error";
}

bool usable(const account_entry& a, int64_t now_ms) {
  switch (a.state) {
    case account_state::active: return true;
    case account_state::cooldown:
    case account_state::exhausted: return a.available_at_ms <= now_ms;
    // An account in `error` (refresh failing, repeated upstream errors) is
    // still tried: errors are often transient, and the failure path moves
    // it again if it keeps failing.
    case account_state::error: return a.available_at_ms <= now_ms;
    case account_state::disabled: return false;
  }
  return false;
}

bool expire_timeouts(std::vector<account_entry>& accounts, int64_t now_ms) {
  bool changed = false;
  for (auto& a : accounts) {
    if ((a.state == account_state::cooldown ||
         a.state == account_state::exhausted) &&
        a.available_at_ms <= now_ms) {
      a.state = account_state::active;
      a.available_at_ms = 0;
      changed = true;
    }
  }
  return changed;
}

namespace {

bool contains(const std::vector<std::string>& xs, std::string_view x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string upper(std::string_view s) {
  std::string out{s};
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

std::string lacks_model(const model_access& a, std::string_view kiro_model) {
  if (kiro_model.empty())
    return {};
  if (contains(a.lacks, kiro_model))
    return "Kiro answered INVALID_MODEL_ID";
  bool legacy = kiro_model.find('_') != std::string_view::npos;
  if (!a.models.empty()) {
    if (legacy || contains(a.models, kiro_model))
      return {};
    return "not in its ListAvailableModels answer";
  }
  auto title = upper(a.subscription_title);
  if (title.find("FREE") != std::string::npos &&
      upper(kiro_model).find("OPUS") != std::string::npos)
    return "its " + a.subscription_title + " subscription has no Opus";
  return {};
}

bool learn_invalid_model(model_access& a, const upstream_failure& f,
                         std::string_view kiro_model) {
  if (f.reason != "INVALID_MODEL_ID" || kiro_model.empty())
    return false;
  if (!contains(a.lacks, kiro_model))
    a.lacks.emplace_back(kiro_model);
  return true;
}

void set_models(model_access& a, std::vector<std::string> ids) {
  a.models = std::move(ids);
  a.lacks.clear();
}

std::optional<std::string> model_unavailable(const std::vector<account_entry>& accounts,
                                             std::string_view claude_model,
                                             std::string_view kiro_model) {
  std::string why;
  size_t lacking = 0;
  for (auto& a : accounts) {
    if (a.state == account_state::disabled)
      continue;
    auto reason = lacks_model(a.access, kiro_model);
    if (reason.empty())
      return std::nullopt;
    why += (lacking++ ? "; " : "") + a.id + ": " + reason;
  }
  if (lacking == 0)
    return std::nullopt; // no account at all: explain_unavailable says so
  std::string model{claude_model};
  if (claude_model != kiro_model)
    model += " (Kiro model " + std::string{kiro_model} + ")";
  return "model " + model + " is not served by any Kiro account of this bridge (" + why +
         "); pick another model or add an account whose subscription includes it";
}

namespace {

bool is_excluded(const std::vector<std::string>& excluded,
                 const std::string& id) {
  return std::find(excluded.begin(), excluded.end(), id) != excluded.end();
}

/// Lower is better: (priority, order) as in the seed's `first`.
bool earlier(const account_entry& a, const account_entry& b) {
  if (a.priority != b.priority)
    return a.priority < b.priority;
  return a.order < b.order;
}

} // namespace

std::optional<size_t> pick(strategy s, const std::vector<account_entry>& accounts,
                           int64_t now_ms, const std::vector<std::string>& excluded,
                           size_t& cursor, uint64_t random_draw,
                           std::string_view kiro_model) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < accounts.size(); ++i) {
    auto& a = accounts[i];
    if (a.idle_workers > 0 && usable(a, now_ms) && !is_excluded(excluded, a.id) &&
        lacks_model(a.access, kiro_model).empty())
      candidates.push_back(i);
  }
  if (candidates.empty())
    return std::nullopt;
  // Healthy accounts before ones in `error`, whatever the strategy.
  auto healthy_end = std::stable_partition(
    candidates.begin(), candidates.end(),
    [&](size_t i) { return accounts[i].state != account_state::error; });
  if (healthy_end != candidates.begin())
    candidates.erase(healthy_end, candidates.end());
  switch (s) {
    case strategy::auto_:
      return *std::min_element(candidates.begin(), candidates.end(),
                               [&](size_t x, size_t y) {
                                 auto& a = accounts[x];
                                 auto& b = accounts[y];
                                 if (a.percent_used != b.percent_used)
                                   return a.percent_used < b.percent_used;
                                 if (a.in_flight != b.in_flight)
                                   return a.in_flight < b.in_flight;
                                 return earlier(a, b);
                               });
    case strategy::random:
      return candidates[random_draw % candidates.size()];
    case strategy::first:
      return *std::min_element(candidates.begin(), candidates.end(),
                               [&](size_t x, size_t y) {
                                 return earlier(accounts[x], accounts[y]);
                               });
    case strategy::round_robin: {
      // The first candidate at or after the cursor, wrapping around.
      size_t best = candidates.front();
      for (auto i : candidates) {
        if (i >= cursor % accounts.size()) {
          best = i;
          break;
        }
      }
      cursor = best + 1;
      return best;
    }
    case strategy::least_inflight:
      return *std::min_element(candidates.begin(), candidates.end(),
                               [&](size_t x, size_t y) {
                                 auto& a = accounts[x];
                                 auto& b = accounts[y];
                                 if (a.in_flight != b.in_flight)
                                   return a.in_flight < b.in_flight;
                                 return earlier(a, b);
                               });
  }
  return std::nullopt;
}

int64_t throttle_cooldown_ms(int32_t n) {
  if (n < 1)
    n = 1;
  int64_t ms = 2000;
  for (int32_t i = 1; i < n && ms < 300000; ++i)
    ms *= 2;
  return std::min<int64_t>(ms, 300000);
}

failure_verdict apply_failure(account_entry& a, const upstream_failure& f,
                              int64_t now_ms, int64_t reset_ms,
                              bool already_refreshed, bool auto_switch) {
  failure_verdict v;
  auto other = auto_switch ? next_step::retry_other : next_step::fail;
  a.last_error = f.message;
  switch (f.cls) {
    case failure_class::none:
      v.step = next_step::fail;
      return v;
    case failure_class::quota_exhausted:
      a.state = account_state::exhausted;
      a.available_at_ms = reset_ms;
      a.percent_used = 100;
      v = {other, true};
      return v;
    case failure_class::throttled:
      a.consecutive_throttles += 1;
      a.state = account_state::cooldown;
      a.available_at_ms = now_ms + throttle_cooldown_ms(a.consecutive_throttles);
      v = {other, true};
      return v;
    case failure_class::invalid_bearer:
      if (!already_refreshed) {
        v = {next_step::refresh_then_retry, false};
        return v;
      }
      a.state = account_state::error;
      a.available_at_ms = now_ms + 60000;
      a.consecutive_errors += 1;
      v = {other, true};
      return v;
    case failure_class::suspended:
    case failure_class::refresh_rejected:
      a.state = account_state::disabled;
      v = {other, true};
      return v;
    case failure_class::refresh_failed:
      a.state = account_state::error;
      a.consecutive_errors += 1;
      a.available_at_ms = now_ms + throttle_cooldown_ms(a.consecutive_errors);
      v = {other, true};
      return v;
    case failure_class::input_too_long:
    case failure_class::bad_request:
      // The request is at fault, not the account.
      v = {next_step::fail, false};
      return v;
    case failure_class::server_error:
    case failure_class::network:
      a.consecutive_errors += 1;
      if (a.consecutive_errors >= 3) {
        a.state = account_state::error;
        a.available_at_ms = now_ms + throttle_cooldown_ms(a.consecutive_errors - 2);
        v = {other, true};
      } else {
        v = {other, false};
      }
      return v;
  }
  return v;
}

void apply_success(account_entry& a) {
  bool was_degraded = a.state == account_state::error;
  a.consecutive_errors = 0;
  a.consecutive_throttles = 0;
  if (was_degraded) {
    a.state = account_state::active;
    a.available_at_ms = 0;
  }
  a.last_error.clear();
}

unavailability explain_unavailable(const std::vector<account_entry>& accounts,
                                   int64_t now_ms) {
  unavailability out;
  if (accounts.empty()) {
    out.message = "no Kiro account is configured: add one to "
                  "kiro-accounts.json or through the admin API";
    return out;
  }
  size_t exhausted = 0, cooldown = 0, disabled = 0, error = 0, busy = 0;
  int64_t soonest = std::numeric_limits<int64_t>::max();
  for (auto& a : accounts) {
    switch (a.state) {
      case account_state::exhausted: ++exhausted; break;
      case account_state::cooldown: ++cooldown; break;
      case account_state::disabled: ++disabled; break;
      case account_state::error: ++error; break;
      case account_state::active: ++busy; break;
    }
    if (a.state != account_state::disabled && a.available_at_ms > now_ms)
      soonest = std::min(soonest, a.available_at_ms);
  }
  std::string parts;
  auto add = [&](size_t n, const char* what) {
    if (n == 0)
      return;
    if (!parts.empty())
      parts += ", ";
    parts += std::to_string(n) + " " + what;
  };
  add(exhausted, "out of quota");
  add(cooldown, "cooling down after throttling");
  add(error, "failing (auth or upstream errors)");
  add(disabled, "disabled");
  add(busy, "busy or already tried");
  out.message = "no Kiro account can serve this request (" +
                std::to_string(accounts.size()) + " configured: " + parts + ")";
  out.quota = exhausted + cooldown > 0 && disabled + error == 0 && busy == 0;
  if (soonest != std::numeric_limits<int64_t>::max())
    out.retry_after_ms = soonest - now_ms;
  return out;
}

} // namespace kb::pool
