#pragma once

// What /v1/models lists and which context window a reply's usage uses:
// the model mapping plus the models the account pool serves, as the
// supervisor reports them from each account's ListAvailableModels answer.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "shared/claude/models.hpp"
#include "shared/config/model_mapping.hpp"

namespace kb::gw {

/// A Kiro model some account of the pool serves, with the largest token
/// limits an account reports for it (0 = not reported).
struct served_model {
  std::string kiro_id;
  std::string name;
  int64_t max_input_tokens = 0;
  int64_t max_output_tokens = 0;
};

/// The supervisor's `(get, model_list)` answer
/// `{"models":[{"id","name","maxInputTokens","maxOutputTokens"}]}`;
/// malformed text or entries read as nothing.
std::vector<served_model> parse_served_models(std::string_view json);

/// The models /v1/models lists, newest first (by the date in the id, then
/// by id), in Anthropic's shape: every Claude id the mapping knows, then,
/// for each served Kiro model no mapping entry targets, the Claude id the
/// bridge resolves to it (claude-opus-4.7 → claude-opus-4-7; auto and
/// non-Claude models have none). Entries whose model is served carry its
/// limits.
std::vector<claude::model_entry> model_catalog(const config::model_mapping& m,
                                               const std::vector<served_model>& served = {});

/// Input window in tokens of `kiro_model`: what the pool's accounts report
/// (ListAvailableModels tokenLimits.maxInputTokens), else the built-in
/// table (config::context_window).
int64_t context_window(const std::vector<served_model>& served, std::string_view kiro_model);

/// "claude-sonnet-4-5-20250929" → "Claude Sonnet 4.5".
std::string display_name(std::string_view id);

/// The latest served-model list, shared by the HTTP threads. An empty list
/// is always stale (accounts may not have answered yet).
class served_models_cache {
public:
  using clock = std::chrono::steady_clock;

  std::shared_ptr<const std::vector<served_model>> get() const;
  void set(std::vector<served_model> models, clock::time_point at);
  bool stale(clock::time_point now, clock::duration max_age) const;
  /// True for the one caller that should start an asynchronous refresh
  /// now (at most one per `spacing`).
  bool claim_refresh(clock::time_point now, clock::duration spacing);

private:
  mutable std::mutex mutex_;
  std::shared_ptr<const std::vector<served_model>> models_ =
    std::make_shared<const std::vector<served_model>>();
  clock::time_point updated_{};
  clock::time_point refresh_claimed_{};
};

} // namespace kb::gw
