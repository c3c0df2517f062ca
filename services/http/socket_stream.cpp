#include "services/http/socket_stream.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace kb {

namespace {

/// Held-back writes are capped: a bigger first write goes out at once.
constexpr size_t max_held_bytes = 16384;

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

std::optional<socket_stream::endpoint> endpoint_of(const sockaddr_storage& addr,
                                                   socklen_t len) {
  socket_stream::endpoint e;
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

template <class Lookup>
socket_stream::endpoint lookup(int sock, Lookup fn) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (fn(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    if (auto e = endpoint_of(addr, len))
      return *e;
  return {};
}

} // namespace

bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

socket_stream::socket_stream(int sock, int read_timeout_ms, int write_timeout_ms)
  : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {
  // nop
}

socket_stream::socket_stream(int sock, ssl_st* tls, int read_timeout_ms,
                             int write_timeout_ms)
  : socket_stream(sock, read_timeout_ms, write_timeout_ms) {
  tls_ = tls;
}

socket_stream::~socket_stream() {
  flush();
}

bool socket_stream::flush() {
  if (held_.empty())
    return !failed_;
  bool sent = send_all(held_.data(), held_.size(), nullptr, 0);
  held_.clear(); // keeps its capacity for the next message
  return sent;
}

bool socket_stream::is_readable() const {
  const_cast<socket_stream*>(this)->flush();
  return has_buffered_input() || (tls_ && SSL_pending(tls_) > 0) ||
         wait_for(sock_, POLLIN, read_timeout_ms_);
}

bool socket_stream::is_writable() const {
  // Writes wait for the socket themselves; a gone peer shows as a failed
  // write. This is also where a chunked body's header block leaves.
  return const_cast<socket_stream*>(this)->flush();
}

ssize_t socket_stream::fill() {
  if (!flush())
    return -1;
  message_started_ = false;
  if (!has_buffered_input()) {
    auto n = receive(input_.data(), input_.size());
    if (n <= 0)
      return n;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(end_ - begin_);
}

ssize_t socket_stream::read(char* ptr, size_t size) {
  if (auto filled = fill(); filled <= 0)
    return filled;
  auto n = std::min(size, end_ - begin_);
  std::copy_n(input_.data() + begin_, n, ptr);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t socket_stream::write(const char* ptr, size_t size) {
  if (!message_started_ && size <= max_held_bytes) {
    message_started_ = true;
    held_.assign(ptr, size);
    return static_cast<ssize_t>(size);
  }
  message_started_ = true;
  bool sent = send_all(held_.data(), held_.size(), ptr, size);
  held_.clear();
  return sent ? static_cast<ssize_t>(size) : -1;
}

ssize_t socket_stream::fill_now() {
  if (begin_ == end_)
    begin_ = end_ = 0;
  if (end_ == input_.size()) {
    if (begin_ == 0)
      return -2;
    std::copy(input_.data() + begin_, input_.data() + end_, input_.data());
    end_ -= begin_;
    begin_ = 0;
  }
  ssize_t n;
  do {
    n = ::recv(sock_, input_.data() + end_, input_.size() - end_, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0)
    end_ += static_cast<size_t>(n);
  return n;
}

int socket_stream::wait_ms() const {
  if (!deadline_)
    return read_timeout_ms_;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                *deadline_ - std::chrono::steady_clock::now())
                .count();
  return static_cast<int>(std::max<long long>(0, std::min<long long>(left, read_timeout_ms_)));
}

ssize_t socket_stream::await_input() {
  if (!flush())
    return -1;
  message_started_ = false;
  if (has_buffered_input())
    return static_cast<ssize_t>(end_ - begin_);
  ssize_t n;
  do {
    n = ::recv(sock_, input_.data(), input_.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    begin_ = 0;
    end_ = static_cast<size_t>(n);
  }
  return n;
}

ssize_t socket_stream::receive(char* into, size_t size) {
  // Our sockets block with SO_RCVTIMEO set: one recv waits for the bytes.
  // Its EAGAIN means the read timeout is up, unless SO_RCVTIMEO is shorter
  // (a server's keep-alive timeout): then the recv is repeated until it is.
  // Only a non-blocking socket polls (else a read could take twice the
  // timeout).
  if (!tls_ && deadline_) {
    // Bounded by the deadline: wait for the bytes, then take them.
    while (true) {
      if (!wait_for(sock_, POLLIN, wait_ms())) {
        errno = EAGAIN;
        return -1;
      }
      auto n = ::recv(sock_, into, size, MSG_DONTWAIT);
      if (n >= 0)
        return n;
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
        return -1;
    }
  }
  if (!tls_) {
    long waited_ms = 0;
    while (true) {
      auto n = ::recv(sock_, into, size, 0);
      if (n >= 0)
        return n;
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return -1;
      if ((::fcntl(sock_, F_GETFL) & O_NONBLOCK) == 0) {
        // Only here, after a timed-out recv, is the socket's timeout read.
        timeval tv{};
        socklen_t len = sizeof(tv);
        ::getsockopt(sock_, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
        long slice_ms = static_cast<long>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
        waited_ms += slice_ms;
        if (slice_ms > 0 && waited_ms + slice_ms <= read_timeout_ms_)
          continue;
        errno = EAGAIN;
        return -1;
      }
      if (!wait_for(sock_, POLLIN, read_timeout_ms_))
        return -1;
    }
  }
  // The socket blocks (httplib's TLS sockets do): wait for it only when
  // OpenSSL holds no decrypted bytes. A record that carried no application
  // data (a TLS 1.3 session ticket) asks to read again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (SSL_pending(tls_) == 0 && !wait_for(sock_, POLLIN, wait_ms())) {
      errno = EAGAIN;
      return -1;
    }
    auto n = SSL_read(tls_, into, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (n > 0)
      return n;
    auto err = SSL_get_error(tls_, n);
    if (err == SSL_ERROR_ZERO_RETURN)
      return 0;
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
      return -1;
  }
  return -1;
}

bool socket_stream::send_all_tls(const char* a, size_t a_len, const char* b, size_t b_len) {
  // One TLS record for header block and body where they fit.
  std::string joined;
  if (a_len > 0 && b_len > 0) {
    joined.reserve(a_len + b_len);
    joined.append(a, a_len).append(b, b_len);
    a = joined.data();
    a_len = joined.size();
  } else if (a_len == 0) {
    a = b;
    a_len = b_len;
  }
  while (a_len > 0) {
    if (!wait_for(sock_, POLLOUT, write_timeout_ms_))
      return false;
    auto n = SSL_write(tls_, a, static_cast<int>(std::min<size_t>(a_len, INT_MAX)));
    if (n <= 0)
      return false;
    a += n;
    a_len -= static_cast<size_t>(n);
  }
  return true;
}

bool socket_stream::send_all(const char* a, size_t a_len, const char* b, size_t b_len) {
  if (failed_)
    return false;
  if (tls_) {
    failed_ = !send_all_tls(a, a_len, b, b_len);
    return !failed_;
  }
  iovec parts[2] = {{const_cast<char*>(a), a_len}, {const_cast<char*>(b), b_len}};
  iovec* next = parts;
  int count = 2;
  while (count > 0) {
    if (next->iov_len == 0) {
      ++next;
      --count;
      continue;
    }
    msghdr msg{};
    msg.msg_iov = next;
    msg.msg_iovlen = static_cast<size_t>(count);
    auto n = when_ready(sock_, POLLOUT, write_timeout_ms_,
                        [&] { return ::sendmsg(sock_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT); });
    if (n < 0) {
      failed_ = true;
      return false;
    }
    auto sent = static_cast<size_t>(n);
    while (count > 0 && sent >= next->iov_len) {
      sent -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + sent;
      next->iov_len -= sent;
    }
  }
  return true;
}

void socket_stream::get_remote_ip_and_port(std::string& ip, int& port) const {
  if (!remote_)
    remote_ = lookup(sock_, ::getpeername);
  ip = remote_->ip;
  port = remote_->port;
}

void socket_stream::get_local_ip_and_port(std::string& ip, int& port) const {
  if (!local_)
    local_ = lookup(sock_, ::getsockname);
  ip = local_->ip;
  port = local_->port;
}

} // namespace kb
