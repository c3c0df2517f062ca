#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kb::sim {

/// SplitMix64: a fixed, well-mixed function of its input.
uint64_t mix64(uint64_t x) noexcept;

/// `digits` lowercase hex characters determined by (seed, counter).
std::string pseudo_random_hex(uint64_t seed, uint64_t counter, size_t digits);

/// `length` base62 characters determined by (seed, counter), like Kiro's
/// `tooluse_` suffixes.
std::string pseudo_random_base62(uint64_t seed, uint64_t counter, size_t length);

/// An RFC 4122 version-4 shaped id determined by (seed, counter).
std::string pseudo_uuid(uint64_t seed, uint64_t counter);

} // namespace kb::sim
