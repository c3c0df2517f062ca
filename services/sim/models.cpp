#include "services/sim/models.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include <boost/json.hpp>

#include "services/sim/json_render.hpp"

namespace kb::sim {

namespace {

constexpr int window_200k = 200'000;
constexpr int window_1m = 1'000'000;
constexpr int max_output = 64'000;

constexpr int max_output_128k = 128'000;

constexpr std::array<model_info, 17> catalogue{{
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
    // 1M window: kiro.dev changelog (Apr 17 2026), quoted in kirodotdev/Kiro
    // #7536 and tickernelz/opencode-kiro-auth PR #83.
    {"claude-opus-4.7", "Claude Opus 4.7", "Claude Opus 4.7 with a 1M context window",
     window_1m, max_output, true},
    // 1M window, 128K output: kiro.rs PR #171, pi-provider-kiro PR #78.
    {"claude-opus-4.8", "Claude Opus 4.8", "The latest Claude Opus model", window_1m,
     max_output_128k, true},
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

bool subscription_serves(std::string_view subscription, std::string_view model_id) noexcept {
  auto has = [](std::string_view s, std::string_view word) {
    return std::search(s.begin(), s.end(), word.begin(), word.end(), [](char a, char b) {
             return std::toupper(static_cast<unsigned char>(a)) == b;
           }) != s.end();
  };
  return !(has(subscription, "FREE") && has(model_id, "OPUS"));
}

result<std::string> render_models_page(std::string_view subscription,
                                       std::string_view max_results,
                                       std::string_view next_token) {
  size_t page = 50;
  if (!max_results.empty()) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(max_results.data(), max_results.data() + max_results.size(), n);
    if (ec != std::errc{} || end != max_results.data() + max_results.size() || n < 1 || n > 1000)
      return invalid_request("maxResults must be an integer between 1 and 1000");
    page = n;
  }
  std::vector<const model_info*> listed;
  for (const auto& m : catalogue)
    if (m.id.find('_') == std::string_view::npos && subscription_serves(subscription, m.id))
      listed.push_back(&m);
  size_t start = 0;
  constexpr std::string_view token_prefix = "sim-models-from-";
  if (!next_token.empty()) {
    auto digits = next_token.substr(std::min(next_token.size(), token_prefix.size()));
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), start);
    if (next_token.substr(0, token_prefix.size()) != token_prefix || ec != std::errc{} ||
        end != digits.data() + digits.size() || start == 0 || start >= listed.size())
      return invalid_request("Invalid nextToken");
  }
  boost::json::array models;
  size_t stop = std::min(listed.size(), start + page);
  for (size_t i = start; i < stop; ++i)
    models.emplace_back(model_json(*listed[i]));
  boost::json::object out{{"models", std::move(models)},
                          {"defaultModel", model_json(default_model())}};
  if (stop < listed.size())
    out["nextToken"] = std::string(token_prefix) + std::to_string(stop);
  return serialize_json(out);
}

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
