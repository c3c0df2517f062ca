#include "services/sim/ids.hpp"

namespace kb::sim {

uint64_t mix64(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace {

template <class Emit>
void generate(uint64_t seed, uint64_t counter, size_t count, Emit emit) {
  uint64_t state = mix64(seed ^ mix64(counter));
  for (size_t i = 0; i < count; ++i) {
    state = mix64(state + i);
    emit(state);
  }
}

} // namespace

std::string pseudo_random_hex(uint64_t seed, uint64_t counter, size_t digits) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  generate(seed, counter, digits, [&](uint64_t r) { out += hex[r & 0xF]; });
  return out;
}

std::string pseudo_random_base62(uint64_t seed, uint64_t counter, size_t length) {
  static constexpr char alphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(length);
  generate(seed, counter, length, [&](uint64_t r) { out += alphabet[r % 62]; });
  return out;
}

std::string pseudo_uuid(uint64_t seed, uint64_t counter) {
  std::string h = pseudo_random_hex(seed, counter, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) +
         '-' + h.substr(20);
}

} // namespace kb::sim
