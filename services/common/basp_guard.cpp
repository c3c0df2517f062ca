#include "services/common/basp_guard.hpp"

#include <algorithm>

namespace kb::cluster {

namespace {

// caf/io/basp/message_type.hpp (0.17.6).
constexpr std::uint8_t server_handshake = 0x00;
constexpr std::uint8_t client_handshake = 0x01;
constexpr std::uint8_t last_operation = 0x06; // heartbeat

} // namespace

basp_header_view parse_basp_header(const std::array<unsigned char, basp_header_size>& b) {
  // operation, two padding bytes, flags, then payload_len (uint32, big-endian).
  basp_header_view h;
  h.operation = b[0];
  h.payload_len = (std::uint32_t{b[4]} << 24) | (std::uint32_t{b[5]} << 16) |
                  (std::uint32_t{b[6]} << 8) | std::uint32_t{b[7]};
  return h;
}

bool basp_frame_guard::check_header() {
  auto h = parse_basp_header(header_);
  if (h.operation > last_operation) {
    why_ = "not a BASP header (operation " + std::to_string(h.operation) + ")";
    return false;
  }
  // Only the publisher sends a server handshake: never on an accepted socket.
  if (h.operation == server_handshake) {
    why_ = "a server handshake from a connecting peer";
    return false;
  }
  // CAF 0.17.6 deserializes a handshake's payload without checking there is
  // one (instance.cpp: `binary_deserializer bd{ctx, *payload}` with payload
  // == nullptr): an empty client handshake crashed the supervisor.
  if (h.operation == client_handshake && h.payload_len == 0) {
    why_ = "a client handshake without a payload";
    return false;
  }
  if (!handshake_seen_) {
    // The publisher speaks first (server handshake); a peer's first frame
    // is always its client handshake.
    if (h.operation != client_handshake) {
      why_ = "the first frame is not a client handshake";
      return false;
    }
    if (h.payload_len > limits_.before_handshake) {
      why_ = "a handshake announcing " + std::to_string(h.payload_len) +
             " bytes (at most " + std::to_string(limits_.before_handshake) + ")";
      return false;
    }
    handshake_seen_ = true;
  } else if (h.payload_len > limits_.after_handshake) {
    why_ = "a message announcing " + std::to_string(h.payload_len) + " bytes (at most " +
           std::to_string(limits_.after_handshake) + ")";
    return false;
  }
  payload_left_ = h.payload_len;
  header_filled_ = 0;
  return true;
}

bool basp_frame_guard::feed(const char* data, std::size_t n) {
  if (!why_.empty())
    return false;
  while (n > 0) {
    if (payload_left_ > 0) {
      auto skip = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, n));
      payload_left_ -= skip;
      data += skip;
      n -= skip;
      continue;
    }
    auto take = std::min(n, basp_header_size - header_filled_);
    std::copy_n(reinterpret_cast<const unsigned char*>(data), take,
                header_.begin() + static_cast<std::ptrdiff_t>(header_filled_));
    header_filled_ += take;
    data += take;
    n -= take;
    if (header_filled_ == basp_header_size && !check_header())
      return false;
  }
  return true;
}

} // namespace kb::cluster
