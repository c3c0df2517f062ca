#include "services/http/http_server.hpp"

#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <optional>

namespace kb {

namespace {

/// How often an idle connection checks whether the server is stopping.
constexpr int stop_check_ms = 250;

/// Waits until `fd` is ready for `events` or `timeout_ms` passed.
bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

/// Runs a non-blocking socket call, waiting (up to `timeout_ms`) for
/// `events` whenever the socket is not ready; -1 on an error or a timeout.
template <class Call>
ssize_t when_ready(int fd, short events, int timeout_ms, Call call) {
  while (true) {
    auto n = call();
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for(fd, events, timeout_ms))
      return -1;
  }
}

int to_ms(time_t sec, time_t usec) {
  return static_cast<int>(sec * 1000 + usec / 1000);
}

struct endpoint {
  std::string ip;
  int port = 0;
};

std::optional<endpoint> endpoint_of(const sockaddr_storage& addr, socklen_t len) {
  endpoint e;
  if (addr.ss_family == AF_INET)
    e.port = ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  else if (addr.ss_family == AF_INET6)
    e.port = ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  else
    return std::nullopt;
  std::array<char, NI_MAXHOST> host{};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host.data(),
                    static_cast<socklen_t>(host.size()), nullptr, 0, NI_NUMERICHOST) != 0)
    return std::nullopt;
  e.ip = host.data();
  return e;
}

/// One connection's socket as httplib's Stream: buffered reads (httplib
/// reads request lines byte by byte), reads and writes that only poll when
/// the socket is not ready, addresses looked up once.
class socket_stream final : public httplib::Stream {
public:
  socket_stream(socket_t sock, int read_timeout_ms, int write_timeout_ms)
    : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {
    // nop
  }

  bool has_buffered_input() const {
    return begin_ < end_;
  }

  bool is_readable() const override {
    return has_buffered_input() || wait_for(sock_, POLLIN, read_timeout_ms_);
  }

  bool is_writable() const override {
    // write() waits for the socket itself; a gone peer shows as a failed write.
    return true;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (!has_buffered_input()) {
      auto n = receive(buffer_.data(), buffer_.size());
      if (n <= 0)
        return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    auto n = std::min(size, end_ - begin_);
    std::copy_n(buffer_.data() + begin_, n, ptr);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    return when_ready(sock_, POLLOUT, write_timeout_ms_, [&] {
      return ::send(sock_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    });
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (!remote_)
      remote_ = lookup(::getpeername);
    ip = remote_->ip;
    port = remote_->port;
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (!local_)
      local_ = lookup(::getsockname);
    ip = local_->ip;
    port = local_->port;
  }

  socket_t socket() const override {
    return sock_;
  }

private:
  ssize_t receive(char* into, size_t size) {
    return when_ready(sock_, POLLIN, read_timeout_ms_,
                      [&] { return ::recv(sock_, into, size, MSG_DONTWAIT); });
  }

  template <class Lookup>
  endpoint lookup(Lookup fn) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (fn(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      if (auto e = endpoint_of(addr, len))
        return *e;
    return {};
  }

  socket_t sock_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  std::array<char, 16384> buffer_{};
  size_t begin_ = 0;
  size_t end_ = 0;
  mutable std::optional<endpoint> remote_;
  mutable std::optional<endpoint> local_;
};

} // namespace

bool http_server::process_and_close_socket(socket_t sock) {
  socket_stream stream{sock, to_ms(read_timeout_sec_, read_timeout_usec_),
                       to_ms(write_timeout_sec_, write_timeout_usec_)};
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
    ok = process_request(stream, left == 1, closed, nullptr);
    if (!ok || closed)
      break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

} // namespace kb
