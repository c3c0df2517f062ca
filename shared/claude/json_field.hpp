#pragma once

// Typed access to fields of a parsed Claude request, turning every mismatch
// into an Anthropic-style `invalid_request` error that names the JSON path
// (e.g. "messages.2.content.0.source.media_type: ...").

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/common/api_error.hpp"
#include "shared/common/result.hpp"

namespace kb::claude {

/// Deepest nesting accepted in a request body (Boost.JSON's default is 32,
/// too little for real JSON Schemas, unbounded would let a body exhaust the
/// stack).
inline constexpr std::size_t max_json_depth = 256;

/// An error for a check that has no value to return; empty when all is well.
using problem = std::optional<api_error>;

std::string join_path(std::string_view parent, std::string_view key);
std::string join_path(std::string_view parent, std::size_t index);

/// `invalid_request("<path>: <what>")`.
api_error field_error(std::string_view path, std::string_view what);

/// Parses `body` as strict RFC 8259 JSON nested at most `max_depth` deep.
/// Errors read "body: invalid JSON at offset N: <reason>".
result<boost::json::value> parse_json(std::string_view body,
                                      std::size_t max_depth = max_json_depth);

/// The field, or nullptr when it is absent or JSON null (optional fields
/// treat null as absent).
const boost::json::value* optional_field(const boost::json::object& obj,
                                         std::string_view key);

/// The field (possibly null), or "<path>: Field required" when absent.
result<const boost::json::value*> required_field(const boost::json::object& obj,
                                                 std::string_view key,
                                                 std::string_view path);

result<const boost::json::object*> as_object(const boost::json::value& v,
                                             std::string_view path);
result<const boost::json::array*> as_array(const boost::json::value& v,
                                           std::string_view path);
result<std::string_view> as_string(const boost::json::value& v,
                                   std::string_view path);
/// A string of at least one character.
result<std::string_view> as_non_empty_string(const boost::json::value& v,
                                             std::string_view path);
result<bool> as_bool(const boost::json::value& v, std::string_view path);
result<double> as_number(const boost::json::value& v, std::string_view path);
/// An integer in [min, max]; integral doubles such as 5.0 are accepted.
result<int64_t> as_integer(const boost::json::value& v, std::string_view path,
                           int64_t min, int64_t max);

/// A required string field of at least one character.
result<std::string_view> required_non_empty_string(const boost::json::object& obj,
                                                   std::string_view key,
                                                   std::string_view path);

/// The `type` field of a block: required, a string.
result<std::string_view> block_type(const boost::json::object& block,
                                    std::string_view block_path);

} // namespace kb::claude
