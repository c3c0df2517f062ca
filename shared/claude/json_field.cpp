#include "shared/claude/json_field.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parser.hpp>

#include <cmath>
#include <limits>

namespace kb::claude {

namespace json = boost::json;

std::string join_path(std::string_view parent, std::string_view key) {
  std::string out;
  out.reserve(parent.size() + 1 + key.size());
  out += parent;
  if (!parent.empty()) out += '.';
  out += key;
  return out;
}

std::string join_path(std::string_view parent, std::size_t index) {
  return join_path(parent, std::to_string(index));
}

api_error field_error(std::string_view path, std::string_view what) {
  std::string message;
  message.reserve(path.size() + 2 + what.size());
  message += path;
  message += ": ";
  message += what;
  return invalid_request(std::move(message));
}

result<json::value> parse_json(std::string_view body, std::size_t max_depth) {
  json::parse_options options; // strict: no comments, no trailing commas
  options.max_depth = max_depth;
  json::parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(body.data(), body.size(), ec);
  if (!ec) return parser.release();
  std::string reason = ec == json::error::too_deep
                           ? "nested deeper than " + std::to_string(max_depth) + " levels"
                           : ec.message();
  return invalid_request("body: invalid JSON at offset " + std::to_string(consumed) +
                         ": " + reason);
}

const json::value* optional_field(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

result<const json::value*> required_field(const json::object& obj,
                                          std::string_view key,
                                          std::string_view path) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return field_error(path, "Field required");
  return v;
}

result<const json::object*> as_object(const json::value& v, std::string_view path) {
  if (const auto* obj = v.if_object()) return obj;
  return field_error(path, "Input should be a valid dictionary");
}

result<const json::array*> as_array(const json::value& v, std::string_view path) {
  if (const auto* arr = v.if_array()) return arr;
  return field_error(path, "Input should be a valid list");
}

result<std::string_view> as_string(const json::value& v, std::string_view path) {
  if (const auto* s = v.if_string()) return std::string_view(s->data(), s->size());
  return field_error(path, "Input should be a valid string");
}

result<std::string_view> as_non_empty_string(const json::value& v,
                                             std::string_view path) {
  auto s = as_string(v, path);
  if (s && s->empty()) return field_error(path, "String should have at least 1 character");
  return s;
}

result<bool> as_bool(const json::value& v, std::string_view path) {
  if (const auto* b = v.if_bool()) return *b;
  return field_error(path, "Input should be a valid boolean");
}

result<double> as_number(const json::value& v, std::string_view path) {
  switch (v.kind()) {
    case json::kind::int64: return static_cast<double>(v.get_int64());
    case json::kind::uint64: return static_cast<double>(v.get_uint64());
    case json::kind::double_: return v.get_double();
    default: return field_error(path, "Input should be a valid number");
  }
}

namespace {

api_error below(std::string_view path, int64_t min) {
  return field_error(path, "Input should be greater than or equal to " + std::to_string(min));
}

api_error above(std::string_view path, int64_t max) {
  return field_error(path, "Input should be less than or equal to " + std::to_string(max));
}

} // namespace

result<int64_t> as_integer(const json::value& v, std::string_view path, int64_t min,
                           int64_t max) {
  int64_t n = 0;
  switch (v.kind()) {
    case json::kind::int64: n = v.get_int64(); break;
    case json::kind::uint64:
      if (v.get_uint64() > static_cast<uint64_t>(max)) return above(path, max);
      n = static_cast<int64_t>(v.get_uint64());
      break;
    case json::kind::double_: {
      const double d = v.get_double();
      if (std::isnan(d) || std::trunc(d) != d)
        return field_error(path,
                           "Input should be a valid integer, got a number with a fractional part");
      // Beyond ±2^62 the cast could overflow; such values are out of any range we use.
      constexpr double safe = 4611686018427387904.0;
      if (d < -safe) return below(path, min);
      if (d > safe) return above(path, max);
      n = static_cast<int64_t>(d);
      break;
    }
    default: return field_error(path, "Input should be a valid integer");
  }
  if (n < min) return below(path, min);
  if (n > max) return above(path, max);
  return n;
}

result<std::string_view> required_non_empty_string(const json::object& obj,
                                                   std::string_view key,
                                                   std::string_view path) {
  auto v = required_field(obj, key, path);
  if (!v) return v.error();
  return as_non_empty_string(**v, path);
}

result<std::string_view> block_type(const json::object& block,
                                    std::string_view block_path) {
  const std::string path = join_path(block_path, "type");
  auto v = required_field(block, "type", path);
  if (!v) return v.error();
  return as_string(**v, path);
}

} // namespace kb::claude
