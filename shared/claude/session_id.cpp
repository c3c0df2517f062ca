#include "shared/claude/session_id.hpp"

#include <boost/json/value.hpp>

#include "shared/claude/json_field.hpp"

namespace kb::claude {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string session_id_from_json(std::string_view user_id) {
  auto doc = parse_json(user_id, 16);
  if (!doc) return {};
  const auto* obj = doc->if_object();
  if (obj == nullptr) return {};
  const auto* id = obj->if_contains("session_id");
  if (id == nullptr || !id->is_string()) return {};
  const std::string_view text(id->get_string().data(), id->get_string().size());
  return is_uuid(text) ? std::string(text) : std::string();
}

std::string session_id_after_marker(std::string_view user_id) {
  constexpr std::string_view marker = "session_";
  constexpr std::size_t uuid_length = 36;
  const auto at = user_id.rfind(marker);
  if (at == std::string_view::npos) return {};
  const auto candidate = user_id.substr(at + marker.size(), uuid_length);
  return is_uuid(candidate) ? std::string(candidate) : std::string();
}

} // namespace

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

std::string session_id_from_user_id(std::string_view user_id) {
  const auto first = user_id.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && user_id[first] == '{')
    return session_id_from_json(user_id);
  return session_id_after_marker(user_id);
}

} // namespace kb::claude
