#include "shared/account/json_fields.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json/parse.hpp>

namespace kb::account::detail {

namespace json = boost::json;

std::optional<json::object> parse_object(std::string_view text) {
  json::error_code ec;
  auto v = json::parse(json::string_view{text.data(), text.size()}, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  return std::move(v.get_object());
}

std::string string_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_string())
    return std::string{v->get_string()};
  return {};
}

std::optional<double> number_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v)
    return std::nullopt;
  if (v->is_double())
    return v->get_double();
  if (v->is_int64())
    return static_cast<double>(v->get_int64());
  if (v->is_uint64())
    return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

const json::object* object_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

namespace {

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
         c == '.' || c == '+' || c == '/' || c == '=' || c == ':';
}

constexpr size_t min_redacted_length = 24;

} // namespace

std::string redact_long_words(std::string_view text) {
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
    if (word.size() >= min_redacted_length)
      out += "****";
    else
      out += word;
    i = end;
  }
  return out;
}

} // namespace kb::account::detail
