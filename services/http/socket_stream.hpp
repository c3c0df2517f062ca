#pragma once

// A connected TCP socket (plain or TLS) as httplib's Stream, for our server
// loop and our upstream clients alike.

#include <sys/types.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

struct ssl_st;

namespace kb {

/// Reads are buffered (httplib reads header lines a byte at a time) and
/// writes are coalesced: the first write after a read (a request's or a
/// response's header block) is held back and goes out with the next write
/// in one segment, so the peer wakes once per message instead of twice.
/// Held bytes are flushed by the next write, by any read or readiness check
/// (a chunked body or `100 Continue` is never held up), or by `flush()`.
/// Writes try first and poll only when the socket is not ready; reads wait
/// in recv (TLS: poll only when OpenSSL has no decrypted bytes pending).
class socket_stream final : public httplib::Stream {
public:
  socket_stream(int sock, int read_timeout_ms, int write_timeout_ms);
  /// Over an established TLS session on `sock` (not owned).
  socket_stream(int sock, ssl_st* tls, int read_timeout_ms, int write_timeout_ms);
  ~socket_stream() override;

  bool has_buffered_input() const { return begin_ < end_; }

  /// For parsers that read in place: the bytes received and not consumed
  /// yet, `fill()` to receive more when they are used up (sends held bytes
  /// first; returns the bytes now buffered, 0 at the end of the stream, -1
  /// on an error or a timeout), `consume(n)` to mark n of them read.
  std::string_view buffered() const { return {input_.data() + begin_, end_ - begin_}; }
  ssize_t fill();
  void consume(size_t n) { begin_ += n; }
  /// Like fill(), but one receive of a plain socket: it waits as long as
  /// the socket's SO_RCVTIMEO (a server's keep-alive timeout), not the read
  /// timeout; -1 with EAGAIN when that passed.
  ssize_t await_input();

  /// Receives what a non-blocking recv gets, after the bytes buffered
  /// (for an event loop that gathers a header block before handing the
  /// connection on): the bytes received, 0 at the end of the stream, -1 on
  /// an error or EAGAIN (errno tells), -2 when the buffer is full.
  ssize_t fill_now();

  /// Until `clear_deadline()`, receives give up (EAGAIN) at `at` even when
  /// the read timeout is longer: a bound for a whole header block.
  void set_deadline(std::chrono::steady_clock::time_point at) { deadline_ = at; }
  void clear_deadline() { deadline_.reset(); }

  /// Sends held-back bytes; false when the socket failed.
  bool flush();

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }

  struct endpoint {
    std::string ip;
    int port = 0;
  };

private:
  bool send_all(const char* a, size_t a_len, const char* b, size_t b_len);
  bool send_all_tls(const char* a, size_t a_len, const char* b, size_t b_len);
  ssize_t receive(char* into, size_t size);
  /// The read timeout, cut to what is left before the deadline.
  int wait_ms() const;

  int sock_;
  ssl_st* tls_ = nullptr;
  int read_timeout_ms_;
  int write_timeout_ms_;
  std::array<char, 16384> input_; // not zeroed: a stream is made per upstream call
  size_t begin_ = 0;
  size_t end_ = 0;
  bool message_started_ = false; ///< a write happened since the last read
  std::string held_; ///< httplib's const readiness checks flush it (const_cast)
  bool failed_ = false;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  mutable std::optional<endpoint> remote_;
  mutable std::optional<endpoint> local_;
};

/// httplib's (seconds, microseconds) timeouts in milliseconds.
inline int timeout_ms(time_t sec, time_t usec) {
  return static_cast<int>(sec * 1000 + usec / 1000);
}

/// Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or `timeout_ms`
/// passed; false on a timeout or an error.
bool wait_for(int fd, short events, int timeout_ms);

} // namespace kb
