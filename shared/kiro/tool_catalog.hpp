#pragma once

// The `tools` list of the current message: the client's tools made
// acceptable to Kiro, plus placeholder specs for tools the history uses.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/common/conversation.hpp"

namespace kb::kiro {

inline constexpr std::string_view placeholder_tool_description =
    "Tool used in conversation history";
inline constexpr std::string_view placeholder_tool_schema =
    R"({"type":"object","properties":{},"additionalProperties":true})";
inline constexpr std::string_view description_cut_note =
    "\xE2\x80\xA6 (full description in system prompt: Tool documentation)";
inline constexpr std::string_view tool_documentation_heading =
    "# Tool documentation";

/// One `toolSpecification`, ready to serialize.
struct kiro_tool {
  std::string name;        ///< Kiro-side name (≤ 64 bytes)
  std::string description; ///< never empty, ≤ the configured limit
  std::string schema_json; ///< cleaned JSON Schema object
};

struct tool_catalog {
  std::vector<kiro_tool> tools;
  /// Kiro name → client name, for renamed tools only.
  std::vector<std::pair<std::string, std::string>> name_map;
  /// "# Tool documentation" section holding the full text of every cut
  /// description; empty when nothing was cut.
  std::string documentation;
};

/// `description` if it fits in `max_bytes`, else its longest UTF-8-safe
/// prefix followed by `description_cut_note`, `max_bytes` in total.
std::string shorten_description(std::string_view description,
                                size_t max_bytes);

/// Builds the tool list. `client_tools` are sent unless `send_client_tools`
/// is false (tool_choice none); duplicate names (case-insensitive, after
/// shortening) keep the first. Every name in `history_tool_names` that no
/// listed tool has gets a placeholder spec, since Kiro rejects history tool
/// uses of unlisted tools.
tool_catalog build_tool_catalog(const std::vector<tool_spec>& client_tools,
                                bool send_client_tools,
                                const std::vector<std::string_view>& history_tool_names,
                                size_t max_description_bytes);

} // namespace kb::kiro
