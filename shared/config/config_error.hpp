#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kb::config {

/// Why a configuration file could not be read, parsed or validated. Never
/// carries a secret: messages name keys and types, not token values.
struct config_error {
  std::string file;
  /// Dotted key path, e.g. `connectionPool.maxSockets` or
  /// `accounts[3].credentials.expiresAt`; empty for whole-file errors.
  std::string key;
  /// 1-based line for JSON syntax errors; 0 when not known.
  int line = 0;
  std::string message;
  /// 1-based column on `line`; 0 when not known.
  int column = 0;

  /// `file:line:column: key: message`, leaving out the parts that are unknown.
  std::string to_string() const;
};

/// A loaded value or the error explaining why there is none.
template <class T>
class loaded {
public:
  loaded(T value) : data_(std::move(value)) {}
  loaded(config_error err) : data_(std::move(err)) {}

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const config_error& error() const { return std::get<1>(data_); }

private:
  std::variant<T, config_error> data_;
};

struct text_position {
  int line = 1;
  int column = 1;
};

/// Line and column (both 1-based) of the character at 0-based `offset`;
/// offsets past the end point just after the last character.
text_position position_of(std::string_view text, std::size_t offset);

} // namespace kb::config
