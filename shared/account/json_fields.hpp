#pragma once

// Lenient field access for Kiro's JSON answers: a missing or mistyped field
// reads as absent, never as an error or a crash.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace kb::account::detail {

std::optional<boost::json::object> parse_object(std::string_view text);

/// The string at `key`, or "" when absent or not a string.
std::string string_field(const boost::json::object& o, std::string_view key);

/// The number at `key` (integer or floating), or nullopt.
std::optional<double> number_field(const boost::json::object& o,
                                   std::string_view key);

/// The object at `key`, or nullptr.
const boost::json::object* object_field(const boost::json::object& o,
                                        std::string_view key);


/// Replaces every run of 24+ token characters with "****": an upstream
/// that echoes a token into its error text must not leak it into our logs.
std::string redact_long_words(std::string_view text);

} // namespace kb::account::detail
