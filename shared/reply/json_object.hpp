#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kb::reply {

/// The compact serialization of a JSON object given as text ("" → "{}"),
/// or nothing when the text is not exactly one JSON object (a cut or
/// malformed tool input).
std::optional<std::string> normalize_json_object(std::string_view text);

} // namespace kb::reply
