#include "services/common/ids.hpp"

#include <random>

namespace kb {

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

/// Nine base-62 digits per 64-bit draw (62^9 < 2^54: the leftover range
/// biases a digit by under 0.1 %, fine for ids that only need to differ).
std::string random_base62(std::string prefix, size_t n) {
  static constexpr char alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  prefix.reserve(prefix.size() + n);
  uint64_t draw = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 9 == 0)
      draw = rng()();
    prefix.push_back(alphabet[draw % 62]);
    draw /= 62;
  }
  return prefix;
}

} // namespace

std::string random_uuid() {
  static constexpr char hex[] = "0123456789abcdef";
  uint64_t hi = rng()(), lo = rng()();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    out.push_back(hex[(word >> shift) & 0xF]);
    if (i == 7 || i == 11 || i == 15 || i == 19)
      out.push_back('-');
  }
  return out;
}

std::string new_request_id() {
  return random_base62("req_", 24);
}

std::string new_message_id() {
  return random_base62("msg_", 24);
}

} // namespace kb
