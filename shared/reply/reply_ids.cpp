#include "shared/reply/reply_ids.hpp"

namespace kb::reply {

namespace {

constexpr uint64_t fnv_offset = 0xcbf29ce484222325ULL;
constexpr uint64_t fnv_prime = 0x100000001b3ULL;

uint64_t mix(uint64_t x) noexcept { // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t fnv1a(uint64_t h, std::string_view bytes) noexcept {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= fnv_prime;
  }
  return h;
}

std::string base64(const unsigned char* data, size_t size) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (size_t i = 0; i < size; i += 3) {
    uint32_t n = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < size) n |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < size) n |= data[i + 2];
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < size ? alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < size ? alphabet[n & 63] : '=';
  }
  return out;
}

} // namespace

signature_hasher::signature_hasher() {
  for (size_t i = 0; i < lanes_.size(); ++i) lanes_[i] = mix(fnv_offset + i);
}

void signature_hasher::feed(std::string_view bytes) noexcept {
  for (auto& lane : lanes_) lane = fnv1a(lane, bytes);
}

std::string signature_hasher::signature() const {
  std::array<unsigned char, 32> digest{};
  for (size_t i = 0; i < lanes_.size(); ++i) {
    uint64_t v = mix(lanes_[i] ^ (i * 0x9e3779b97f4a7c15ULL));
    for (size_t b = 0; b < 8; ++b) digest[i * 8 + b] = static_cast<unsigned char>(v >> (8 * b));
  }
  return base64(digest.data(), digest.size());
}

std::string derived_tool_id(std::string_view message_id, size_t ordinal) {
  static constexpr char hex[] = "0123456789abcdef";
  uint64_t base = fnv1a(fnv_offset, message_id);
  uint64_t high = mix(base ^ mix(ordinal));
  uint64_t low = mix(high ^ 0x5bd1e995ULL);
  std::string id = "toolu_";
  for (int shift = 60; shift >= 0; shift -= 4) id += hex[(high >> shift) & 15];
  for (int shift = 28; shift >= 0; shift -= 4) id += hex[(low >> shift) & 15];
  return id;
}

} // namespace kb::reply
