#include "shared/common/redact.hpp"

#include <cctype>

namespace kb {

namespace {

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '+' || c == '/' || c == '=' || c == ':';
}

} // namespace

std::string redact_words(std::string_view text, secret_word_rule is_secret,
                         std::string_view marker) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!token_char(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    while (end < text.size() && token_char(text[end]))
      ++end;
    auto word = text.substr(i, end - i);
    out += is_secret(word) ? marker : word;
    i = end;
  }
  return out;
}

} // namespace kb
