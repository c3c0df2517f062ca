#pragma once

#include <string>

namespace kb {

/// A random RFC 4122 version-4 UUID, lowercase.
std::string random_uuid();

/// "req_" + 24 random base62 characters (Anthropic's request-id shape).
std::string new_request_id();

/// "msg_" + 24 random base62 characters.
std::string new_message_id();

} // namespace kb
