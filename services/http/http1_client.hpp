#pragma once

// A blocking HTTP/1.1 client for one origin over one keep-alive connection,
// plain or TLS (verified against the system CAs and an optional CA file),
// for callers that own a thread: kiro-bridge's workers and maintainer.
//
// It writes a request's header block and body in one segment (one TLS
// record) and parses the answer straight from socket_stream's buffer. It
// replaces httplib's client on the request path: that client read header
// lines a byte at a time through a virtual call, matched the status line
// with std::regex, formatted every header with snprintf and kept headers in
// a case-insensitive std::multimap, about 75,000 instructions per call.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb {

class call_cancel;

using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_client_options {
  std::string ca_file;          ///< extra CA bundle (tests use a self-signed sim)
  int connect_timeout_ms = 10000; ///< TCP connect and TLS handshake
  int read_timeout_ms = 120000; ///< max silence between bytes
  int write_timeout_ms = 30000;
};

struct http1_request {
  std::string_view method = "GET";
  std::string_view path = "/";
  const http_headers* headers = nullptr;
  /// Sent with the body: for POST, PUT and PATCH always, else when a body
  /// is given.
  std::string_view content_type;
  std::string_view body;
};

class http1_client {
public:
  http1_client(std::string host, int port, bool tls, http_client_options opts);
  ~http1_client();
  http1_client(const http1_client&) = delete;
  http1_client& operator=(const http1_client&) = delete;

  /// Sends `req` and reads the answer: `on_status` gets the status code
  /// first, `on_body` every piece of the body as it arrives; either returns
  /// false to stop (the connection is then dropped). Returns what failed,
  /// empty on success. A connection the server closed while idle is
  /// replaced before the request is sent. `cancel` (optional) may end the
  /// exchange from another thread; it then returns "canceled".
  std::string exchange(const http1_request& req, const std::function<bool(int)>& on_status,
                       const std::function<bool(const char*, size_t)>& on_body,
                       call_cancel* cancel = nullptr);

private:
  struct connection;
  struct tls_context;

  std::string connect();
  void disconnect();
  /// Sends `req` over conn_ and reads its answer; `keep` tells whether the
  /// connection can take the next request.
  std::string exchange_on_connection(const http1_request& req, const std::string& head,
                                     const std::function<bool(int)>& on_status,
                                     const std::function<bool(const char*, size_t)>& on_body,
                                     bool& keep);

  std::string host_;
  int port_;
  std::string host_header_;
  http_client_options opts_;
  bool tls_wanted_ = false;
  std::shared_ptr<const tls_context> tls_; ///< made at the first TLS exchange
  std::unique_ptr<connection> conn_;
};

} // namespace kb
