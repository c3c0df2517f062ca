#pragma once

// Who may use the admin API: with an adminToken set, a request needs
// `Authorization: Bearer <adminToken>`; without one, loopback clients only.

#include <string_view>

namespace kb::admin {

enum class access { allowed, unauthorized, forbidden };

/// 127.0.0.0/8, ::1 and IPv4-mapped 127.x addresses.
bool is_loopback(std::string_view addr);

access check_access(std::string_view admin_token, std::string_view authorization,
                    std::string_view remote_addr);

/// Compares without an early exit, so timing does not reveal a prefix.
bool same_secret(std::string_view a, std::string_view b);

} // namespace kb::admin
