#include "shared/kiro/tool_names.hpp"

#include "shared/common/ascii.hpp"
#include "shared/common/sha256.hpp"

namespace kb::kiro {

namespace {

constexpr size_t hash_hex_digits = 8;
constexpr size_t kept_prefix_bytes = max_tool_name_bytes - 1 - hash_hex_digits;

bool is_utf8_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::string sha256_hex_prefix(std::string_view s, size_t digits) {
  auto digest = sha256(s);
  return hex_lower(digest.data(), digest.size()).substr(0, digits);
}

} // namespace

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) noexcept {
  if (s.size() <= max_bytes)
    return s;
  size_t cut = max_bytes;
  while (cut > 0 && is_utf8_continuation(s[cut]))
    --cut;
  return s.substr(0, cut);
}

std::string shorten_tool_name(std::string_view name) {
  if (name.size() <= max_tool_name_bytes)
    return std::string(name);
  std::string out(utf8_prefix(name, kept_prefix_bytes));
  out.push_back('_');
  out += sha256_hex_prefix(name, hash_hex_digits);
  return out;
}

bool same_tool_name(std::string_view a, std::string_view b) noexcept {
  return equals_ci(a, b);
}

} // namespace kb::kiro
