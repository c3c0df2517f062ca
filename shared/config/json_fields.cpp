#include "shared/config/json_fields.hpp"

namespace kb::config::detail {

std::string join_key(std::string_view prefix, std::string_view key) {
  std::string out(prefix);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string index_key(std::string_view prefix, std::size_t index) {
  std::string out(prefix);
  out += '[' + std::to_string(index) + ']';
  return out;
}

std::string_view json_type_name(nlohmann::json::value_t type) {
  using vt = nlohmann::json::value_t;
  switch (type) {
    case vt::null: return "null";
    case vt::object: return "object";
    case vt::array: return "array";
    case vt::string: return "string";
    case vt::boolean: return "boolean";
    case vt::number_integer:
    case vt::number_unsigned:
    case vt::number_float: return "number";
    case vt::binary: return "binary";
    case vt::discarded: return "nothing";
  }
  return "unknown";
}

config_error make_error(const std::string& file, std::string key,
                        std::string message) {
  config_error err;
  err.file = file;
  err.key = std::move(key);
  err.message = std::move(message);
  return err;
}

std::optional<config_error> check_depth(std::string_view text,
                                        const std::string& file) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_json_depth) {
        auto pos = position_of(text, i);
        auto err = make_error(file, "",
                              "JSON nested deeper than " +
                                std::to_string(max_json_depth) + " levels");
        err.line = pos.line;
        err.column = pos.column;
        return err;
      }
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    }
  }
  return std::nullopt;
}

namespace {

/// nlohmann's what(): "[json.exception.parse_error.101] parse error at line
/// 3, column 5: syntax error while parsing ... ; last read: '<input>'".
std::string describe_syntax_error(std::string_view what) {
  if (auto colon = what.find(": "); colon != std::string_view::npos &&
                                    what.substr(0, colon).find("parse error") !=
                                      std::string_view::npos) {
    what.remove_prefix(colon + 2);
  }
  // The quoted input may be part of a secret (an unterminated token).
  if (auto quoted = what.find("; last read:"); quoted != std::string_view::npos)
    what = what.substr(0, quoted);
  std::string out(what);
  return out.empty() ? std::string("syntax error") : out;
}

} // namespace

config_error syntax_error(std::string_view text, const std::string& file,
                          std::size_t byte, std::string_view what) {
  auto err = make_error(file, "", describe_syntax_error(what));
  auto pos = position_of(text, byte > 0 ? byte - 1 : 0);
  err.line = pos.line;
  err.column = pos.column;
  return err;
}

} // namespace kb::config::detail
