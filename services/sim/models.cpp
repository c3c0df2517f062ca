#include "services/sim/models.hpp"

#include <array>

#include <boost/json.hpp>

#include "services/sim/json_render.hpp"

namespace kb::sim {

namespace {

constexpr int window_200k = 200'000;
constexpr int window_1m = 1'000'000;
constexpr int max_output = 64'000;

constexpr std::array<model_info, 16> catalogue{{
    {"auto", "Auto", "Models chosen by task for optimal usage and consistent quality",
     window_1m, max_output, true},
    {"claude-sonnet-4", "Claude Sonnet 4", "Hybrid reasoning and coding for regular use",
     window_200k, max_output, true},
    {"claude-sonnet-4.5", "Claude Sonnet 4.5", "The latest Claude Sonnet model",
     window_200k, max_output, true},
    {"claude-sonnet-4.6", "Claude Sonnet 4.6", "Claude Sonnet 4.6 with a 1M context window",
     window_1m, max_output, true},
    {"claude-haiku-4.5", "Claude Haiku 4.5", "The fastest Claude model",
     window_200k, max_output, true},
    {"claude-opus-4.5", "Claude Opus 4.5", "The most capable Claude Opus 4.5 model",
     window_200k, max_output, true},
    {"claude-opus-4.6", "Claude Opus 4.6", "Claude Opus 4.6 with a 1M context window",
     window_1m, max_output, true},
    {"claude-opus-4.7", "Claude Opus 4.7", "The latest Claude Opus model",
     window_200k, max_output, true},
    {"deepseek-3.2", "DeepSeek 3.2", "DeepSeek 3.2", window_200k, max_output, false},
    {"glm-5", "GLM 5", "GLM 5", window_200k, max_output, false},
    {"minimax-m2.1", "MiniMax M2.1", "MiniMax M2.1", window_200k, max_output, false},
    {"minimax-m2.5", "MiniMax M2.5", "MiniMax M2.5", window_200k, max_output, false},
    {"qwen3-coder-next", "Qwen3 Coder Next", "Qwen3 Coder Next", window_200k, max_output,
     false},
    {"CLAUDE_SONNET_4_20250514_V1_0", "Claude Sonnet 4 (legacy id)", "Legacy id",
     window_200k, max_output, true},
    {"CLAUDE_3_7_SONNET_20250219_V1_0", "Claude 3.7 Sonnet (legacy id)", "Legacy id",
     window_200k, max_output, true},
    {"CLAUDE_SONNET_4_5_20250929_V1_0", "Claude Sonnet 4.5 (legacy id)", "Legacy id",
     window_200k, max_output, true},
}};

boost::json::object model_json(const model_info& m) {
  boost::json::array input_types{"TEXT"};
  if (m.accepts_images)
    input_types.emplace_back("IMAGE");
  return boost::json::object{
      {"modelId", m.id},
      {"modelName", m.name},
      {"description", m.description},
      {"rateMultiplier", 1.0},
      {"rateUnit", "Credit"},
      {"tokenLimits",
       boost::json::object{{"maxInputTokens", m.max_input_tokens},
                           {"maxOutputTokens", m.max_output_tokens}}},
      {"supportedInputTypes", std::move(input_types)},
  };
}

} // namespace

std::span<const model_info> known_models() noexcept { return catalogue; }

bool is_known_model(std::string_view model_id) noexcept {
  for (const auto& m : catalogue)
    if (m.id == model_id)
      return true;
  return false;
}

const model_info& default_model() noexcept { return catalogue[0]; }

std::string render_models_json() {
  boost::json::array models;
  // Legacy ids are accepted on the chat API but no longer listed.
  for (const auto& m : catalogue)
    if (m.id.find('_') == std::string_view::npos)
      models.emplace_back(model_json(m));
  boost::json::object out{{"models", std::move(models)},
                          {"defaultModel", model_json(default_model())}};
  return serialize_json(out);
}

} // namespace kb::sim
