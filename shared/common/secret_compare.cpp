#include "shared/common/secret_compare.hpp"

namespace kb {

bool same_secret(std::string_view candidate, std::string_view secret) noexcept {
  unsigned char diff = candidate.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < candidate.size(); ++i)
    diff |= static_cast<unsigned char>(candidate[i] ^ (i < secret.size() ? secret[i] : 0));
  return diff == 0;
}

bool secret_in(const std::vector<std::string>& secrets, std::string_view candidate) noexcept {
  bool found = false;
  for (const auto& s : secrets)
    found |= same_secret(candidate, s);
  return found && !candidate.empty();
}

} // namespace kb
