#include "shared/kiro/system_prompt.hpp"

#include <algorithm>

namespace kb::kiro {

namespace {

std::string_view adaptive_effort(std::string_view requested) {
  for (std::string_view known : {"low", "medium", "high", "max"})
    if (requested == known)
      return known;
  return "high";
}

void append_section(std::string& into, std::string_view section) {
  if (section.empty())
    return;
  if (!into.empty())
    into += "\n\n";
  into += section;
}

} // namespace

int32_t thinking_budget(int32_t requested) noexcept {
  if (requested <= 0)
    return default_thinking_budget;
  return std::clamp(requested, min_thinking_budget, max_thinking_budget);
}

std::string thinking_tags(const thinking_config& thinking) {
  switch (thinking.mode) {
    case thinking_mode::enabled:
      return "<thinking_mode>enabled</thinking_mode><max_thinking_length>" +
             std::to_string(thinking_budget(thinking.budget_tokens)) +
             "</max_thinking_length>";
    case thinking_mode::adaptive:
      return "<thinking_mode>adaptive</thinking_mode><thinking_effort>" +
             std::string(adaptive_effort(thinking.effort)) +
             "</thinking_effort>";
    case thinking_mode::off:
      break;
  }
  return {};
}

std::string compose_system_text(std::string_view system,
                                const thinking_config& thinking,
                                std::string_view tool_documentation) {
  std::string text;
  text.reserve(system.size() + tool_documentation.size() + 128);
  if (system.find("<thinking_mode>") == std::string_view::npos)
    text = thinking_tags(thinking);
  append_section(text, system);
  append_section(text, tool_documentation);
  return text;
}

} // namespace kb::kiro
