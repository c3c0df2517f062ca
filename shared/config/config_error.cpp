#include "shared/config/config_error.hpp"

#include <algorithm>

namespace kb::config {

std::string config_error::to_string() const {
  std::string out = file.empty() ? std::string("<config>") : file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

text_position position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  text_position pos;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++pos.column; // UTF-8 continuation bytes do not start a new column
    }
  }
  return pos;
}

} // namespace kb::config
