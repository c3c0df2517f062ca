#include "shared/common/json_text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace kb {

namespace {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/// True for bytes that cannot be copied as is: control characters, '"',
/// '\\' and the start of a (possibly invalid) multibyte sequence.
constexpr auto special_bytes = [] {
  std::array<bool, 256> table{};
  for (size_t c = 0; c < 256; ++c)
    table[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
  return table;
}();

/// True when none of the 8 bytes at `p` is special (SWAR "has less than"
/// and "has zero" bit tricks, exact for "is there any such byte").
bool plain_word(const char* p) noexcept {
  constexpr uint64_t ones = 0x0101010101010101ULL;
  constexpr uint64_t highs = 0x8080808080808080ULL;
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  uint64_t quote = w ^ (ones * '"');
  uint64_t backslash = w ^ (ones * '\\');
  uint64_t control = (w - ones * 0x20) & ~w;
  uint64_t quotes = (quote - ones) & ~quote;
  uint64_t backslashes = (backslash - ones) & ~backslash;
  return ((control | quotes | backslashes | w) & highs) == 0;
}

} // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    // Bytes that need no escaping are copied a whole run at a time.
    size_t run = i;
    while (i < s.size()) {
      if (i + 8 <= s.size() && plain_word(s.data() + i)) {
        i += 8;
        continue;
      }
      auto c = static_cast<unsigned char>(s[i]);
      if (!special_bytes[c]) {
        ++i;
      } else if (c >= 0x80) {
        auto len = utf8_sequence_length(s, i);
        if (len == 0)
          break;
        i += len;
      } else {
        break;
      }
    }
    out.append(s.data() + run, i - run);
    if (i == s.size())
      break;
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c >= 0x80) { // invalid UTF-8
          out += "\xEF\xBF\xBD";
        } else {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string json_quote(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

} // namespace kb
