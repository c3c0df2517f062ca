#pragma once

// A guard for the supervisor's inter-daemon port: follows the BASP frames a
// peer sends (CAF 0.17's caf/io/basp/header.hpp: a 32-byte header, then
// `payload_len` bytes) and says when one announces more than it may.
//
// CAF reads a frame's payload into a buffer it first resizes to the
// announced length (stream::prepare_next_read), so a single header saying
// "4 GiB follow" made kiro-supervisor zero-fill 4 GiB before a byte of it
// arrived (issue 18.1). CAF 0.17.6 has no setting that bounds it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace kb::cluster {

/// Size of a serialized BASP header (caf::io::basp::header_size).
inline constexpr std::size_t basp_header_size = 32;

struct basp_limits {
  /// The largest payload a peer may announce before its client handshake
  /// (CAF's own handshake payload is a node id: well under 1 KiB).
  std::uint32_t before_handshake = 64 * 1024;
  /// The largest payload after it (one message between daemons, e.g. a
  /// conversation with its images).
  std::uint32_t after_handshake = 64u * 1024 * 1024;
};

/// The fields of a BASP header the guard looks at (integers are big-endian
/// on the wire: CAF 0.17's binary_serializer writes network order).
struct basp_header_view {
  std::uint8_t operation = 0;
  std::uint32_t payload_len = 0;
};

basp_header_view parse_basp_header(const std::array<unsigned char, basp_header_size>& bytes);

/// Follows the frames of one connection, as the bytes arrive in any split.
class basp_frame_guard {
public:
  explicit basp_frame_guard(basp_limits limits) : limits_(limits) {}

  /// Takes the next `n` received bytes; false once the connection must be
  /// closed (then why() says why, and every later call is false too).
  bool feed(const char* data, std::size_t n);

  /// True once the peer's client handshake header passed.
  bool handshake_seen() const { return handshake_seen_; }
  const std::string& why() const { return why_; }

private:
  bool check_header();

  basp_limits limits_;
  std::array<unsigned char, basp_header_size> header_{};
  std::size_t header_filled_ = 0;
  std::uint64_t payload_left_ = 0;
  bool handshake_seen_ = false;
  std::string why_;
};

} // namespace kb::cluster
