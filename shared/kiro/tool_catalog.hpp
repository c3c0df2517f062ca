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

// Kiro cuts a tool call's arguments at about 9 KB without a stop event, so a
// large file written in one call arrives broken (jwadow/kiro-gateway's
// tool-call-size-guard spec, 2026-05-13). Peers tell the model to write in
// chunks: kiro.rs appends such a line to the Write and Edit descriptions
// (converter.rs WRITE_/EDIT_TOOL_DESCRIPTION_SUFFIX), jwadow adds it to the
// system prompt. Ours go on the descriptions of the file-writing tools of
// Claude Code (Write, Edit, MultiEdit) and OpenCode (write, edit).
inline constexpr std::string_view chunked_write_guidance =
    "IMPORTANT: the arguments of one call of this tool must stay under about "
    "150 lines or 7 KB of content; longer arguments are cut off and the call "
    "fails. For a longer file, write the first part with this tool, then "
    "append the rest with Edit in chunks of at most 150 lines (old_string: the "
    "file's current last line; new_string: that line followed by the next "
    "chunk).";
inline constexpr std::string_view chunked_edit_guidance =
    "IMPORTANT: the arguments of one call of this tool must stay under about "
    "150 lines or 7 KB of content; longer arguments are cut off and the call "
    "fails. Split a larger change into several calls of at most 150 lines "
    "each.";

/// The guidance line for a file-writing tool, empty for other tools
/// (names compared case-insensitively).
std::string_view write_guidance_for(std::string_view tool_name);

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

struct catalog_options {
  size_t max_description_bytes = 10000;
  /// Appends write_guidance_for(name) to file-writing tools' descriptions.
  bool chunked_write_guidance = true;
};

/// Builds the tool list. `client_tools` are sent unless `send_client_tools`
/// is false (tool_choice none); duplicate names (case-insensitive, after
/// shortening) keep the first. Every name in `history_tool_names` that no
/// listed tool has gets a placeholder spec, since Kiro rejects history tool
/// uses of unlisted tools. A guidance line is never cut: the description
/// before it is shortened to leave it room.
tool_catalog build_tool_catalog(const std::vector<tool_spec>& client_tools,
                                bool send_client_tools,
                                const std::vector<std::string_view>& history_tool_names,
                                const catalog_options& options);

} // namespace kb::kiro
