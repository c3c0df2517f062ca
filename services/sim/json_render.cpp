#include "services/sim/json_render.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <boost/json.hpp>

#include "shared/common/json_text.hpp"

namespace kb::sim {

namespace json = boost::json;

std::string format_double(double x) {
  if (!std::isfinite(x))
    return "null";
  char buf[40];
  if (x == std::floor(x) && std::fabs(x) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.1f", x);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  return buf;
}

namespace {

void write(const json::value& v, std::string& out) {
  switch (v.kind()) {
  case json::kind::null: out += "null"; break;
  case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
  case json::kind::int64: out += std::to_string(v.get_int64()); break;
  case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
  case json::kind::double_: out += format_double(v.get_double()); break;
  case json::kind::string: append_json_string(out, v.get_string()); break;
  case json::kind::array: {
    out += '[';
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first)
        out += ',';
      first = false;
      write(item, out);
    }
    out += ']';
    break;
  }
  case json::kind::object: {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : v.get_object()) {
      if (!first)
        out += ',';
      first = false;
      append_json_string(out, key);
      out += ':';
      write(item, out);
    }
    out += '}';
    break;
  }
  }
}

} // namespace

std::string serialize_json(const json::value& v) {
  std::string out;
  write(v, out);
  return out;
}

} // namespace kb::sim
