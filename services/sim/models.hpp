#pragma once

#include <span>
#include <string>
#include <string_view>

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

} // namespace kb::sim
