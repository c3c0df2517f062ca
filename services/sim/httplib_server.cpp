#include "services/sim/httplib_server.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "services/http/socket_stream.hpp"

namespace kb::sim {

namespace {

/// How often an idle connection checks whether the server is stopping.
constexpr int stop_check_ms = 250;

} // namespace

bool plain_server::process_and_close_socket(socket_t sock) {
  socket_stream stream{sock, timeout_ms(read_timeout_sec_, read_timeout_usec_),
                       timeout_ms(write_timeout_sec_, write_timeout_usec_)};
  // Waits for the next request: true when one is there, false when the
  // connection idled out, the peer left or the server is stopping.
  auto next_request = [&] {
    if (stream.has_buffered_input())
      return true;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::seconds(keep_alive_timeout_sec_);
    while (svr_sock_ != INVALID_SOCKET) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left <= 0)
        return false;
      if (wait_for(sock, POLLIN, static_cast<int>(std::min<int64_t>(left, stop_check_ms))))
        return true;
    }
    return false;
  };
  bool ok = false;
  for (auto left = keep_alive_max_count_; left > 0 && next_request(); --left) {
    bool closed = false;
    ok = process_request(stream, left == 1, closed, nullptr) && stream.flush();
    if (!ok || closed)
      break;
  }
  stream.flush();
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

} // namespace kb::sim
