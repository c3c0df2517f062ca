#include "services/admin/access.hpp"

namespace kb::admin {

bool is_loopback(std::string_view addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" ||
         addr.rfind("::ffff:127.", 0) == 0;
}

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

access check_access(std::string_view admin_token, std::string_view authorization,
                    std::string_view remote_addr) {
  if (!admin_token.empty()) {
    constexpr std::string_view prefix = "Bearer ";
    if (authorization.substr(0, prefix.size()) != prefix)
      return access::unauthorized;
    return same_secret(authorization.substr(prefix.size()), admin_token)
             ? access::allowed
             : access::unauthorized;
  }
  return is_loopback(remote_addr) ? access::allowed : access::forbidden;
}

} // namespace kb::admin
