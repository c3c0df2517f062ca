#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "shared/common/result.hpp"

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
using loaded = result<T, config_error>;

struct text_position {
  int line = 1;
  int column = 1;
};

/// Line and column (both 1-based) of the character at 0-based `offset`;
/// offsets past the end point just after the last character.
text_position position_of(std::string_view text, std::size_t offset);

} // namespace kb::config
