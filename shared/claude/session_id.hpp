#pragma once

#include <string>
#include <string_view>

namespace kb::claude {

/// True for the canonical 8-4-4-4-12 hex form of a UUID.
bool is_uuid(std::string_view s);

/// The client's session id hidden in `metadata.user_id`, so that one Claude
/// Code session maps onto one Kiro conversation. Current Claude Code sends a
/// JSON string (`{"device_id":..,"session_id":"<uuid>"}`); older versions sent
/// `user_<hash>_account__session_<uuid>`. Empty when neither holds a UUID.
std::string session_id_from_user_id(std::string_view user_id);

} // namespace kb::claude
