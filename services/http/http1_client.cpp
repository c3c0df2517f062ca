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

#include "services/http/call_cancel.hpp"
#include "services/http/http1_reader.hpp"
#include "services/http/socket_stream.hpp"
#include "shared/common/ascii.hpp"

namespace kb {

namespace {

bool has_line_break(std::string_view s) {
  return std::memchr(s.data(), '\r', s.size()) != nullptr ||
         std::memchr(s.data(), '\n', s.size()) != nullptr;
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
                                   const std::function<bool(const char*, size_t)>& on_body,
                                   call_cancel* cancel) {
  if (tls_wanted_ && !tls_)
    tls_ = tls_context::shared(opts_.ca_file);
  if (tls_ && !tls_->error.empty())
    return tls_->error;
  auto head = request_head(req, host_header_);
  if (!head)
    return "a request header contains a line break or an invalid name";
  if (cancel && cancel->cancelled())
    return "canceled";
  if (conn_ && !conn_->still_open())
    disconnect();
  if (!conn_)
    if (auto err = connect(); !err.empty())
      return err;
  if (cancel && !cancel->attach(conn_->fd))
    return "canceled";
  bool keep = false;
  auto error = exchange_on_connection(req, *head, on_status, on_body, keep);
  if (cancel) {
    cancel->detach();
    if (cancel->cancelled()) {
      keep = false; // its socket may have been shut down
      error = "canceled";
    }
  }
  if (!keep)
    disconnect(); // nothing that is left of this answer may start the next one
  return error;
}

std::string http1_client::exchange_on_connection(
  const http1_request& req, const std::string& head, const std::function<bool(int)>& on_status,
  const std::function<bool(const char*, size_t)>& on_body, bool& keep) {
  socket_stream stream{conn_->fd, conn_->ssl, opts_.read_timeout_ms, opts_.write_timeout_ms};
  bool sent = stream.write(head.data(), head.size()) >= 0 &&
              (req.body.empty() || stream.write(req.body.data(), req.body.size()) >= 0) &&
              stream.flush();
  if (!sent)
    return "sending the request to " + host_header_ + " failed";
  http1_response_reader answer{stream};
  bool aborted = false;
  bool ok = answer.read_head(req.method == "HEAD");
  if (ok && !on_status(answer.status)) {
    ok = false;
    aborted = true;
  }
  ok = ok && answer.read_body(on_body, aborted);
  keep = ok && !answer.close_after() && !stream.has_buffered_input();
  if (aborted)
    return "canceled";
  return ok ? std::string{} : answer.error();
}

} // namespace kb
