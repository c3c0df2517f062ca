#pragma once

#include <string>
#include <string_view>

namespace kb {

/// Appends `s` as a quoted JSON string (RFC 8259 escaping; invalid UTF-8
/// bytes become U+FFFD so the output is always valid JSON).
void append_json_string(std::string& out, std::string_view s);

/// `s` as a quoted JSON string.
std::string json_quote(std::string_view s);

} // namespace kb
