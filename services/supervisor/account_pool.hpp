#pragma once

// The supervisor's bookkeeping as plain values: which accounts can serve,
// which one a strategy picks, and how a classified upstream failure changes
// an account's state. No actors, no clocks (time is passed in), so every
// rule is unit-tested directly.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/common/upstream_failure.hpp"

namespace kb::pool {

enum class strategy { auto_, random, first, round_robin, least_inflight };

/// Parses the config's strategy name; unknown names → nullopt.
std::optional<strategy> parse_strategy(std::string_view name);

enum class account_state { active, cooldown, exhausted, error, disabled };

std::string_view to_string(account_state s);

/// What decides whether an account serves a Kiro model (rule 5, issue 14).
struct model_access {
  std::string subscription_title; ///< getUsageLimits' title; "" = not polled yet
  /// The ids of the account's ListAvailableModels answer; empty = not read yet.
  std::vector<std::string> models;
  /// Models Kiro refused to this account with INVALID_MODEL_ID since its
  /// list was last read.
  std::vector<std::string> lacks;
};

/// Why an account with this access cannot serve `kiro_model`, or "" when it
/// can or nothing says otherwise. Its model list decides once read (legacy
/// CLAUDE_* ids are accepted but never listed); before that, a FREE
/// subscription has no Opus (kiro.rs token_manager.rs
/// select_next_credential / credentials.rs supports_opus).
std::string lacks_model(const model_access& a, std::string_view kiro_model);

struct account_entry {
  std::string id;
  int32_t priority = 0;
  size_t order = 0;          ///< position in the accounts file
  double percent_used = 0;
  account_state state = account_state::active;
  int64_t available_at_ms = 0; ///< cooldown / exhaustion end
  int32_t consecutive_throttles = 0;
  int32_t consecutive_errors = 0;
  int32_t idle_workers = 0;
  int32_t in_flight = 0;
  std::string last_error;
  model_access access;
};

/// Whether the account may take a request at `now_ms` (ignoring idle workers).
bool usable(const account_entry& a, int64_t now_ms);

/// Moves expired cooldowns/exhaustions back to active. Returns true if any
/// account changed.
bool expire_timeouts(std::vector<account_entry>& accounts, int64_t now_ms);

/// Picks an account that is usable, has an idle worker, is not in
/// `excluded` and serves `kiro_model` (any model when empty). `cursor` is
/// the round-robin position (updated), `random_draw` any uniformly random
/// number (used by `random`).
std::optional<size_t> pick(strategy s, const std::vector<account_entry>& accounts,
                           int64_t now_ms, const std::vector<std::string>& excluded,
                           size_t& cursor, uint64_t random_draw,
                           std::string_view kiro_model = {});

/// If `f` is Kiro's 400 INVALID_MODEL_ID, records that the account lacks
/// `kiro_model` (until its model list is read again) and returns true.
bool learn_invalid_model(model_access& a, const upstream_failure& f,
                         std::string_view kiro_model);

/// A fresh ListAvailableModels answer: replaces the list, forgets what
/// INVALID_MODEL_ID answers taught.
void set_models(model_access& a, std::vector<std::string> ids);

/// When no account that is not disabled serves `kiro_model`: the client's
/// message, naming the model (`claude_model` as the client sent it) and why
/// each account lacks it. nullopt while some account may serve it.
std::optional<std::string> model_unavailable(const std::vector<account_entry>& accounts,
                                             std::string_view claude_model,
                                             std::string_view kiro_model);

/// What the supervisor should do with the request after a failure.
enum class next_step {
  retry_other,   ///< try another account (this one is excluded for the request)
  retry_same,    ///< try the same account again (after a refresh)
  refresh_then_retry, ///< refresh this account's token, then retry it
  fail,          ///< give the error to the client
};

struct failure_verdict {
  next_step step = next_step::fail;
  bool account_changed = false;
};

/// Applies a classified failure to `a` (state, cooldown, counters) and says
/// what to do with the request. `already_refreshed` is whether this request
/// already triggered a refresh of this account. `reset_ms` is the next quota
/// reset (for exhaustion).
failure_verdict apply_failure(account_entry& a, const upstream_failure& f,
                              int64_t now_ms, int64_t reset_ms,
                              bool already_refreshed, bool auto_switch);

/// Cooldown after `n` consecutive throttles: 2 s·2^(n−1), capped at 5 min.
int64_t throttle_cooldown_ms(int32_t n);

/// A success resets the failure counters.
void apply_success(account_entry& a);

/// Why no account can serve right now, for the client's error message, and
/// the earliest time one might (0 = unknown).
struct unavailability {
  std::string message;
  bool quota = false;        ///< every account is exhausted or throttled → 429
  int64_t retry_after_ms = 0;
};
unavailability explain_unavailable(const std::vector<account_entry>& accounts,
                                   int64_t now_ms);

} // namespace kb::pool
