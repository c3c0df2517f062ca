#include "shared/account/json_fields.hpp"

#include <boost/json/parse.hpp>

#include "shared/common/redact.hpp"

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

std::string redact_long_words(std::string_view text) {
  return redact_words(text, [](std::string_view word) { return word.size() >= 24; }, "****");
}

} // namespace kb::account::detail
