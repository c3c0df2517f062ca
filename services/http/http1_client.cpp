#include "services/http/http1_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include "services/http/socket_stream.hpp"
#include "shared/common/ascii.hpp"

namespace kb {

namespace {

constexpr size_t max_header_line = 64 * 1024;
constexpr size_t max_header_lines = 200;

/// Without the spaces and tabs around it (HTTP's optional whitespace).
std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Whether the comma-separated header value lists `token` (any case).
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (equals_ci(trim_blanks(value.substr(0, comma)), token))
      return true;
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool has_line_break(std::string_view s) {
  // find_first_of would call memchr once per character
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; });
}

bool is_ip_literal(const std::string& host) {
  in6_addr buf;
  return ::inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

void set_timeout(int fd, int option, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

std::string openssl_error() {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "the connection closed";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

/// The request line and header block, or nullopt when a header would
/// break the framing.
std::optional<std::string> request_head(const http1_request& req, const std::string& host) {
  std::string head;
  head.reserve(256 + (req.headers ? req.headers->size() * 64 : 0));
  head.append(req.method).append(" ").append(req.path).append(" HTTP/1.1\r\nHost: ");
  head.append(host).append("\r\n");
  bool has_accept = false;
  bool has_user_agent = false;
  if (req.headers) {
    for (auto& [name, value] : *req.headers) {
      if (name.empty() || has_line_break(name) || has_line_break(value) ||
          name.find(':') != std::string::npos)
        return std::nullopt;
      has_accept = has_accept || equals_ci(name, "accept");
      has_user_agent = has_user_agent || equals_ci(name, "user-agent");
      head.append(name).append(": ").append(value).append("\r\n");
    }
  }
  if (!has_accept)
    head += "Accept: */*\r\n";
  if (!has_user_agent)
    head += "User-Agent: kiro-bridge\r\n";
  bool sends_body = !req.body.empty() || req.method == "POST" || req.method == "PUT" ||
                    req.method == "PATCH";
  if (sends_body) {
    if (has_line_break(req.content_type))
      return std::nullopt;
    if (!req.content_type.empty())
      head.append("Content-Type: ").append(req.content_type).append("\r\n");
    head.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n");
  }
  head += "\r\n";
  return head;
}

/// Reads one answer from the stream, in place.
class response_reader {
public:
  explicit response_reader(socket_stream& in) : in_(in) {
    // nop
  }

  std::string error;
  int status = 0;
  bool close_after = false;

  /// Status line and headers (1xx interim answers skipped).
  bool read_head(bool head_request) {
    do {
      if (!read_status_line() || !read_headers())
        return false;
    } while (status >= 100 && status < 200);
    if (head_request || status == 204 || status == 304)
      framing_ = framing::none;
    else if (chunked_)
      framing_ = framing::chunked;
    else if (length_)
      framing_ = framing::length;
    else
      framing_ = framing::until_close;
    if (framing_ == framing::until_close)
      close_after = true;
    return true;
  }

  /// The body, piece by piece. `aborted` is set when `on_body` said stop.
  bool read_body(const std::function<bool(const char*, size_t)>& on_body, bool& aborted) {
    switch (framing_) {
      case framing::none:
        return true;
      case framing::length:
        return pass(*length_, on_body, aborted);
      case framing::until_close:
        return pass_until_close(on_body, aborted);
      case framing::chunked:
        return pass_chunks(on_body, aborted);
    }
    return false;
  }

private:
  enum class framing { none, length, chunked, until_close };

  bool fail(std::string why) {
    error = std::move(why);
    return false;
  }

  /// Receives more of the answer; false (with the reason) when none came.
  bool fill() {
    auto n = in_.fill();
    return n > 0 || fail(n == 0 ? "the connection closed mid-answer" : read_failure());
  }

  static const char* read_failure() {
    return errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within the read timeout"
                                                   : "reading the answer failed";
  }

  bool read_line() {
    line_.clear();
    while (true) {
      auto buf = in_.buffered();
      if (buf.empty()) {
        if (!fill())
          return false;
        continue;
      }
      auto nl = buf.find('\n');
      auto take = nl == std::string_view::npos ? buf.size() : nl + 1;
      line_.append(buf.data(), take);
      in_.consume(take);
      if (nl != std::string_view::npos) {
        line_.pop_back();
        if (!line_.empty() && line_.back() == '\r')
          line_.pop_back();
        return true;
      }
      if (line_.size() > max_header_line)
        return fail("an answer line is longer than 64 KB");
    }
  }

  bool read_status_line() {
    if (!read_line())
      return false;
    std::string_view l = line_;
    // "HTTP/1.1 200 OK": the reason phrase is optional.
    if (l.size() < 12 || l.substr(0, 7) != "HTTP/1." || l[8] != ' ')
      return fail("not an HTTP/1.x status line");
    auto [end, ec] = std::from_chars(l.data() + 9, l.data() + 12, status);
    if (ec != std::errc{} || end != l.data() + 12 || status < 100 || status > 999 ||
        (l.size() > 12 && l[12] != ' '))
      return fail("not an HTTP/1.x status line");
    close_after = l[7] == '0'; // HTTP/1.0 closes unless told otherwise
    chunked_ = false;
    length_.reset();
    return true;
  }

  bool read_headers() {
    for (size_t count = 0;; ++count) {
      if (count > max_header_lines)
        return fail("the answer has more than 200 header lines");
      if (!read_line())
        return false;
      if (line_.empty())
        return true;
      std::string_view l = line_;
      auto colon = l.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return fail("a malformed header line in the answer");
      auto name = l.substr(0, colon);
      auto value = trim_blanks(l.substr(colon + 1));
      if (equals_ci(name, "content-length")) {
        uint64_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size() || (length_ && *length_ != n))
          return fail("an invalid Content-Length in the answer");
        length_ = n;
      } else if (equals_ci(name, "transfer-encoding")) {
        chunked_ = lists_token(value, "chunked");
      } else if (equals_ci(name, "connection")) {
        if (lists_token(value, "close"))
          close_after = true;
        else if (lists_token(value, "keep-alive"))
          close_after = false;
      }
    }
  }

  bool pass(uint64_t left, const std::function<bool(const char*, size_t)>& on_body,
            bool& aborted) {
    while (left > 0) {
      auto buf = in_.buffered();
      if (buf.empty()) {
        if (!fill())
          return false;
        continue;
      }
      auto take = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
      if (!on_body(buf.data(), take)) {
        aborted = true;
        return false;
      }
      in_.consume(take);
      left -= take;
    }
    return true;
  }

  bool pass_until_close(const std::function<bool(const char*, size_t)>& on_body,
                        bool& aborted) {
    while (true) {
      auto buf = in_.buffered();
      if (buf.empty()) {
        auto n = in_.fill();
        if (n == 0)
          return true;
        if (n < 0)
          return fail(read_failure());
        continue;
      }
      if (!on_body(buf.data(), buf.size())) {
        aborted = true;
        return false;
      }
      in_.consume(buf.size());
    }
  }

  bool pass_chunks(const std::function<bool(const char*, size_t)>& on_body, bool& aborted) {
    while (true) {
      if (!read_line())
        return false;
      std::string_view l = line_;
      l = l.substr(0, l.find(';')); // chunk extensions are ignored
      while (!l.empty() && (l.back() == ' ' || l.back() == '\t'))
        l.remove_suffix(1);
      uint64_t size = 0;
      auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), size, 16);
      if (l.empty() || ec != std::errc{} || end != l.data() + l.size())
        return fail("an invalid chunk size in the answer");
      if (size == 0) {
        do { // trailer fields, up to the empty line
          if (!read_line())
            return false;
        } while (!line_.empty());
        return true;
      }
      if (!pass(size, on_body, aborted))
        return false;
      if (!read_line())
        return false;
      if (!line_.empty())
        return fail("a chunk of the answer is longer than its size");
    }
  }

  socket_stream& in_;
  std::string line_;
  bool chunked_ = false;
  std::optional<uint64_t> length_;
  framing framing_ = framing::none;
};

} // namespace

struct http1_client::tls_context {
  SSL_CTX* ctx = nullptr;
  std::string error; ///< why no TLS connection can be made (a bad CA file)

  explicit tls_context(const std::string& ca_file) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
      error = "cannot create a TLS context: " + openssl_error();
      return;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_default_verify_paths(ctx);
    if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1)
      error = "cannot read the CA file " + ca_file + ": " + openssl_error();
  }
  ~tls_context() {
    SSL_CTX_free(ctx);
  }
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  /// One context per CA file for the whole process, made on first use:
  /// loading the system CAs takes ~20 ms and ~1 MB, which every one of
  /// hundreds of workers would otherwise pay (in the thread spawning it).
  static std::shared_ptr<const tls_context> shared(const std::string& ca_file) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<const tls_context>> made;
    std::lock_guard<std::mutex> guard{mutex};
    auto& slot = made[ca_file];
    auto ctx = slot.lock();
    if (!ctx) {
      ctx = std::make_shared<const tls_context>(ca_file);
      slot = ctx;
    }
    return ctx;
  }
};

struct http1_client::connection {
  int fd = -1;
  SSL* ssl = nullptr;

  ~connection() {
    // No close_notify: every answer is framed by length or chunks, and
    // writing to a peer that already left would raise SIGPIPE.
    SSL_free(ssl);
    if (fd >= 0)
      ::close(fd);
  }

  /// Whether a kept connection can take the next request. Nothing may
  /// arrive between answers: a readable idle socket holds the server's
  /// close (a FIN, a TLS close_notify) or stray bytes, and is replaced.
  /// TLS records that carry no data (session tickets) are read past.
  bool still_open() const {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0)
      return true;
    if (!ssl)
      return false;
    auto flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    char byte;
    int n = SSL_peek(ssl, &byte, 1);
    bool open = n <= 0 && SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ;
    ERR_clear_error();
    ::fcntl(fd, F_SETFL, flags);
    return open;
  }
};

http1_client::http1_client(std::string host, int port, bool tls, http_client_options opts)
  : host_(std::move(host)), port_(port), opts_(std::move(opts)) {
  bool v6 = host_.find(':') != std::string::npos;
  host_header_ = v6 ? "[" + host_ + "]" : host_;
  if (port_ != (tls ? 443 : 80))
    host_header_ += ":" + std::to_string(port_);
  tls_wanted_ = tls;
}

http1_client::~http1_client() = default;

void http1_client::disconnect() {
  conn_.reset();
}

std::string http1_client::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto port = std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); rc != 0)
    return "cannot resolve " + host_ + ": " + ::gai_strerror(rc);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses{found, ::freeaddrinfo};
  std::string last = "no address";
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    auto c = std::make_unique<connection>();
    c->fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                     ai->ai_protocol);
    if (c->fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    if (::connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = std::strerror(errno);
        continue;
      }
      if (!wait_for(c->fd, POLLOUT, opts_.connect_timeout_ms)) {
        last = "timed out";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = std::strerror(err);
        continue;
      }
    }
    // Blocking from here on, bounded by timeouts: a read waits in one recv.
    ::fcntl(c->fd, F_SETFL, ::fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (tls_) {
      set_timeout(c->fd, SO_RCVTIMEO, opts_.connect_timeout_ms);
      set_timeout(c->fd, SO_SNDTIMEO, opts_.connect_timeout_ms);
      c->ssl = SSL_new(tls_->ctx);
      if (!c->ssl)
        return "cannot start TLS: " + openssl_error();
      SSL_set_fd(c->ssl, c->fd);
      if (is_ip_literal(host_)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host_.c_str());
      } else {
        SSL_set_tlsext_host_name(c->ssl, host_.c_str());
        SSL_set1_host(c->ssl, host_.c_str());
      }
      if (SSL_connect(c->ssl) != 1) {
        auto verdict = SSL_get_verify_result(c->ssl);
        auto why = verdict != X509_V_OK
                     ? std::string{"certificate not trusted: "} +
                         X509_verify_cert_error_string(verdict)
                     : openssl_error();
        ERR_clear_error();
        return "TLS handshake with " + host_header_ + " failed: " + why;
      }
    }
    set_timeout(c->fd, SO_RCVTIMEO, opts_.read_timeout_ms);
    set_timeout(c->fd, SO_SNDTIMEO, opts_.write_timeout_ms);
    conn_ = std::move(c);
    return {};
  }
  return "cannot connect to " + host_header_ + ": " + last;
}

std::string http1_client::exchange(const http1_request& req,
                                   const std::function<bool(int)>& on_status,
                                   const std::function<bool(const char*, size_t)>& on_body) {
  if (tls_wanted_ && !tls_)
    tls_ = tls_context::shared(opts_.ca_file);
  if (tls_ && !tls_->error.empty())
    return tls_->error;
  auto head = request_head(req, host_header_);
  if (!head)
    return "a request header contains a line break or an invalid name";
  if (conn_ && !conn_->still_open())
    disconnect();
  if (!conn_)
    if (auto err = connect(); !err.empty())
      return err;
  socket_stream stream{conn_->fd, conn_->ssl, opts_.read_timeout_ms, opts_.write_timeout_ms};
  bool sent = stream.write(head->data(), head->size()) >= 0 &&
              (req.body.empty() || stream.write(req.body.data(), req.body.size()) >= 0) &&
              stream.flush();
  if (!sent) {
    disconnect();
    return "sending the request to " + host_header_ + " failed";
  }
  response_reader answer{stream};
  bool aborted = false;
  bool ok = answer.read_head(req.method == "HEAD");
  if (ok && !on_status(answer.status)) {
    ok = false;
    aborted = true;
  }
  ok = ok && answer.read_body(on_body, aborted);
  if (!ok || answer.close_after || stream.has_buffered_input())
    disconnect(); // nothing that is left of this answer may start the next one
  if (aborted)
    return "canceled";
  return ok ? std::string{} : answer.error;
}

} // namespace kb
