#pragma once

// For the HTTP reader fuzz targets: a socket_stream whose input arrives in
// chosen pieces. An AF_UNIX SOCK_SEQPACKET pair keeps each piece a record
// of its own, so every recv returns one piece, as TCP segments and TLS
// records arrive; then the sending side shuts down (end of stream).

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace kb::fuzz {

inline void require(bool condition) {
  if (!condition)
    std::abort();
}

/// Piece sizes from a seed: 1..max_piece bytes each (0 = all in one).
inline std::vector<size_t> pieces(std::string_view data, uint8_t seed, size_t max_piece) {
  std::vector<size_t> out;
  if (max_piece == 0) {
    out.push_back(data.size());
    return out;
  }
  uint32_t x = 2463534242u ^ seed;
  for (size_t at = 0; at < data.size();) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    auto n = std::min<size_t>(data.size() - at, 1 + x % max_piece);
    out.push_back(n);
    at += n;
  }
  return out;
}

/// A connected pair with `data` queued in `sizes` pieces on fds[1]'s side;
/// false when the socket buffer cannot hold it all.
inline bool feed(std::string_view data, const std::vector<size_t>& sizes, int fds[2]) {
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return false;
  size_t at = 0;
  for (auto n : sizes) {
    if (n == 0)
      continue;
    if (::send(fds[0], data.data() + at, n, MSG_DONTWAIT | MSG_NOSIGNAL) !=
        static_cast<ssize_t>(n)) {
      ::close(fds[0]);
      ::close(fds[1]);
      return false;
    }
    at += n;
  }
  ::shutdown(fds[0], SHUT_WR);
  return true;
}

} // namespace kb::fuzz
