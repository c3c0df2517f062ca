#pragma once

// ASCII case-insensitive comparisons for protocol tokens (HTTP header
// names, AWS error types, auth method names): locale-independent.

#include <string_view>

namespace kb {

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ci(std::string_view a, std::string_view b) noexcept;

bool contains_ci(std::string_view haystack, std::string_view needle) noexcept;

} // namespace kb
