#pragma once

// SHA-256 for stable derived ids (conversation ids, machine ids, shortened
// tool names): OpenSSL's, with the algorithm fetched once per process
// rather than on every call as OpenSSL 3's one-shot SHA256() does.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace kb {

using sha256_digest = std::array<unsigned char, 32>;

sha256_digest sha256(std::string_view data);

/// Lowercase hex of `len` bytes.
std::string hex_lower(const unsigned char* data, size_t len);

} // namespace kb
