#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kb::reply {

/// Builds the opaque `signature` of a thinking block: base64 of a 256-bit
/// FNV-1a based digest of the thinking text, fed incrementally. Deterministic
/// (same text → same signature); clients send it back and we ignore it.
class signature_hasher {
public:
  signature_hasher();
  void feed(std::string_view bytes) noexcept;
  std::string signature() const;

private:
  std::array<uint64_t, 4> lanes_;
};

/// "toolu_" + 24 hex digits derived from the message id and an ordinal, for
/// tool calls that arrive without an id (bracket calls, empty upstream ids).
std::string derived_tool_id(std::string_view message_id, size_t ordinal);

} // namespace kb::reply
