#pragma once

#include <string>
#include <string_view>

namespace kb::kiro {

/// Kiro rejects tool names longer than this many bytes.
inline constexpr size_t max_tool_name_bytes = 64;

/// A name Kiro accepts for `name`: identity up to 64 bytes, otherwise the
/// first ≤55 bytes (cut at a UTF-8 boundary) + '_' + the first 8 hex digits
/// of SHA-256(name). Deterministic, so history and specs agree.
std::string shorten_tool_name(std::string_view name);

/// ASCII case-insensitive equality (Kiro matches tool names this way).
bool same_tool_name(std::string_view a, std::string_view b) noexcept;

/// Longest prefix of `s` of at most `max_bytes` that ends on a UTF-8
/// character boundary.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes) noexcept;

} // namespace kb::kiro
