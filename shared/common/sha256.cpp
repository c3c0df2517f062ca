#include "shared/common/sha256.hpp"

#include <cstdlib>

#include <openssl/evp.h>

namespace kb {

sha256_digest sha256(std::string_view data) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  sha256_digest out{};
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 ||
      len != out.size())
    std::abort(); // OpenSSL without SHA-256: nothing derived could be trusted
  return out;
}

std::string hex_lower(const unsigned char* data, size_t len) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(hex[data[i] >> 4]);
    out.push_back(hex[data[i] & 0xF]);
  }
  return out;
}

} // namespace kb
