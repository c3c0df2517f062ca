#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::kiro {

/// Kiro rejects tool names longer than this many bytes.
inline constexpr size_t max_tool_name_bytes = 64;

/// A name Kiro accepts for `name`: identity up to 64 bytes, otherwise the
/// first ≤55 bytes (cut at a UTF-8 boundary) + '_' + the first 8 hex digits
/// of SHA-256(name). Deterministic, so history and specs agree.
std::string shorten_tool_name(std::string_view name);

/// ASCII case-insensitive equality (Kiro matches tool names this way).
bool same_tool_name(std::string_view a, std::string_view b) noexcept;

/// Kiro name → client name, for the tools whose names were shortened.
using tool_name_map = std::vector<std::pair<std::string, std::string>>;

/// Replaces every mention of a shortened tool's client name in `text` by its
/// Kiro name, so that prompt text and tool specs agree (kiro.rs PR #197: a
/// model told to call the long name that is not in its tool list calls an
/// unregistered tool). A mention is the whole name, not part of a longer
/// identifier ([A-Za-z0-9_-] on neither side); longer names win.
void rename_tool_mentions(std::string& text, const tool_name_map& renamed);

/// Longest prefix of `s` of at most `max_bytes` that ends on a UTF-8
/// character boundary.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes) noexcept;

} // namespace kb::kiro
