#include "shared/reply/json_object.hpp"

#include <boost/json.hpp>

namespace kb::reply {

std::optional<std::string> normalize_json_object(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return "{}";
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return boost::json::serialize(value);
}

} // namespace kb::reply
