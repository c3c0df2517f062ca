#pragma once

#include <span>
#include <string>
#include <string_view>

#include "shared/common/result.hpp"

namespace kb::sim {

/// One entry of Kiro's model catalogue (kiro-protocol.md §3).
struct model_info {
  std::string_view id;
  std::string_view name;
  std::string_view description;
  int max_input_tokens = 0;
  int max_output_tokens = 0;
  bool accepts_images = true;
};

/// Every model id Kiro accepts, current and legacy.
std::span<const model_info> known_models() noexcept;

/// Exact (case-sensitive) match against `known_models()`, as Kiro does.
bool is_known_model(std::string_view model_id) noexcept;

/// The model `auto` resolves to when a request names none.
const model_info& default_model() noexcept;

/// The ListAvailableModels body: `{models:[...], defaultModel:{...}}`.
std::string render_models_json();

/// Whether an account with this subscriptionTitle may use the model: a
/// FREE subscription has no Opus (kiro.rs token_manager.rs; chat answers
/// 400 INVALID_MODEL_ID).
bool subscription_serves(std::string_view subscription, std::string_view model_id) noexcept;

/// One page of ListAvailableModels for the subscription: `max_results`
/// (query text; empty = 50, else 1..1000) models from the position
/// `next_token` names (empty = the start), plus `nextToken` while more
/// remain. A bad maxResults or unknown token is an error message.
result<std::string> render_models_page(std::string_view subscription,
                                       std::string_view max_results,
                                       std::string_view next_token);

} // namespace kb::sim
