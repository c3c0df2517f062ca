#pragma once

// Internal helpers of kb_config: parse a JSON document into an error value
// and read typed fields, naming the key path in every error.

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/config/config_error.hpp"

namespace kb::config::detail {

/// Deepest nesting accepted; deeper documents are refused before parsing so
/// that no recursive walk over them can exhaust the stack.
inline constexpr int max_json_depth = 64;

std::string join_key(std::string_view prefix, std::string_view key);
std::string index_key(std::string_view prefix, std::size_t index);

/// "a number", "a string", ... as used in "expected X, got Y" messages.
std::string_view json_type_name(nlohmann::json::value_t type);

config_error make_error(const std::string& file, std::string key,
                        std::string message);

template <class J>
config_error type_error(const std::string& file, std::string key,
                        std::string_view expected, const J& got) {
  std::string message = "expected ";
  message += expected;
  message += ", got ";
  message += json_type_name(got.type());
  return make_error(file, std::move(key), std::move(message));
}

/// The error for a document nested deeper than max_json_depth, if it is.
std::optional<config_error> check_depth(std::string_view text,
                                        const std::string& file);

/// A config_error for nlohmann's parse error at 1-based byte `byte`; the
/// text nlohmann quotes from the input (possibly a token) is dropped.
config_error syntax_error(std::string_view text, const std::string& file,
                          std::size_t byte, std::string_view what);

template <class J>
loaded<J> parse_document(std::string_view text, const std::string& file) {
  if (auto err = check_depth(text, file)) return *err;
  try {
    return J::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return syntax_error(text, file, e.byte, e.what());
  } catch (const nlohmann::json::exception&) {
    return make_error(file, "", "invalid JSON");
  }
}

/// Reads typed members of one JSON object. Absent keys leave the target
/// untouched; a present key of the wrong type records the first error.
template <class J>
class field_reader {
public:
  field_reader(const std::string& file, std::string prefix, const J& object)
    : file_(file), prefix_(std::move(prefix)), object_(object) {}

  const J* find(std::string_view key) const {
    if (!object_.is_object()) return nullptr;
    auto it = object_.find(std::string(key));
    return it == object_.end() ? nullptr : &*it;
  }

  std::string key_path(std::string_view key) const {
    return join_key(prefix_, key);
  }

  bool failed() const { return error_.has_value(); }
  const std::optional<config_error>& error() const { return error_; }

  void fail(config_error err) {
    if (!error_) error_ = std::move(err);
  }

  void fail_type(std::string_view key, std::string_view expected,
                 const J& got) {
    fail(type_error(file_, key_path(key), expected, got));
  }

  void fail_key(std::string_view key, std::string message) {
    fail(make_error(file_, key_path(key), std::move(message)));
  }

  /// `null` reads as "" when `null_is_empty` (seed files write null for
  /// unknown emails and the like).
  bool read(std::string_view key, std::string& out,
            bool null_is_empty = false) {
    const J* v = find(key);
    if (!v) return false;
    if (v->is_string()) {
      out = v->template get<std::string>();
      return true;
    }
    if (null_is_empty && v->is_null()) {
      out.clear();
      return true;
    }
    fail_type(key, "a string", *v);
    return false;
  }

  bool read(std::string_view key, bool& out) {
    const J* v = find(key);
    if (!v) return false;
    if (!v->is_boolean()) {
      fail_type(key, "a boolean", *v);
      return false;
    }
    out = v->template get<bool>();
    return true;
  }

  bool read(std::string_view key, double& out) {
    const J* v = find(key);
    if (!v) return false;
    if (!v->is_number()) {
      fail_type(key, "a number", *v);
      return false;
    }
    out = v->template get<double>();
    return true;
  }

  bool read_int(std::string_view key, std::int64_t& out, std::int64_t min,
                std::int64_t max) {
    const J* v = find(key);
    if (!v) return false;
    auto value = integer_of(key, *v, min, max);
    if (!value) return false;
    out = *value;
    return true;
  }

  template <class Int>
  bool read_int(std::string_view key, Int& out, std::int64_t min,
                std::int64_t max) {
    std::int64_t wide = 0;
    if (!read_int(key, wide, min, max)) return false;
    out = static_cast<Int>(wide);
    return true;
  }

  /// An integral JSON number within [min, max] (2.0 counts as 2).
  std::optional<std::int64_t> integer_of(std::string_view key, const J& v,
                                         std::int64_t min, std::int64_t max) {
    std::optional<std::int64_t> value;
    bool in_range = true;
    if (v.is_number_unsigned()) {
      auto u = v.template get<std::uint64_t>();
      in_range = u <= static_cast<std::uint64_t>(max);
      if (in_range) value = static_cast<std::int64_t>(u);
    } else if (v.is_number_integer()) {
      value = v.template get<std::int64_t>();
    } else if (v.is_number_float()) {
      double d = v.template get<double>();
      if (!std::isfinite(d) || d != std::floor(d)) {
        fail_key(key, "expected an integer, got a fractional number");
        return std::nullopt;
      }
      in_range = d >= static_cast<double>(min) && d <= static_cast<double>(max);
      if (in_range) value = static_cast<std::int64_t>(d);
    } else {
      fail_type(key, "a number", v);
      return std::nullopt;
    }
    if (!in_range || *value < min || *value > max) {
      fail_key(key, "expected an integer between " + std::to_string(min) +
                      " and " + std::to_string(max) + ", got " + v.dump());
      return std::nullopt;
    }
    return value;
  }

  const std::string& file() const { return file_; }
  const std::string& prefix() const { return prefix_; }

private:
  const std::string& file_;
  std::string prefix_;
  const J& object_;
  std::optional<config_error> error_;
};

} // namespace kb::config::detail
