#pragma once

// Secret comparisons whose time does not depend on where the candidate
// first differs, so a client cannot find a key (apiKeys) or the adminToken
// byte by byte from response times.

#include <string>
#include <string_view>
#include <vector>

namespace kb {

/// Whether `candidate` equals `secret`; looks at every byte of `candidate`
/// whatever it finds (only the candidate's own length shows in the time).
bool same_secret(std::string_view candidate, std::string_view secret) noexcept;

/// Whether `candidate` is one of `secrets`: compares with every entry, no
/// early exit on a match. An empty candidate never matches.
bool secret_in(const std::vector<std::string>& secrets, std::string_view candidate) noexcept;

} // namespace kb
