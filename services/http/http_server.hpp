#pragma once

// Our HTTP/1.1 server, which every daemon listens with. One event-loop
// thread accepts connections and watches them with epoll while they are
// idle or still sending their header block (slowloris costs no thread); a
// connection whose header block is in goes to a pooled thread, which serves
// requests while they come (keep-alive, pipelining, long SSE streams) and
// hands it back when it goes quiet. Requests are parsed in place from
// socket_stream's buffer by http1_reader (the parser our client uses, strict
// RFC 9112 framing), routed by exact path or regex, and answered with the
// header block and body in one segment. Handlers use httplib's Request and
// Response as plain data.
//
// Bounds: a deadline for the whole header block, a connection count, a
// thread count (a request beyond it is answered 503 at once, not queued),
// a body size per request and a budget for all bodies being read at once.
//
// httplib's own server cost ~67,000 instructions per request before the
// handler ran (header lines read a byte at a time through a virtual call,
// every route tried as a std::regex, headers written through an
// ostringstream and snprintf), a third of a gateway request.

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

namespace kb {

struct http_server_options {
  size_t threads = 512;             ///< requests (SSE streams) served at once
  size_t max_body_bytes = 32u << 20;
  int read_timeout_s = 120;         ///< max silence within a request's body
  int write_timeout_s = 120;        ///< max wait for a client to take bytes
  /// How long an idle keep-alive connection is kept.
  int keep_alive_timeout_s = 5;
  /// The whole header block (from its first byte, or from the connection's
  /// start) must arrive within this; else 408 and close.
  int header_timeout_ms = 20000;
  /// Open connections (idle ones included); beyond them 503 and close.
  size_t max_connections = 10000;
  /// Request bodies being read at once, in bytes (announced lengths count
  /// whole); a request beyond it is answered 503 before its body is read.
  size_t max_body_bytes_in_flight = 512u << 20;
};

class http_server {
public:
  using handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using exception_handler =
    std::function<void(const httplib::Request&, httplib::Response&, std::exception_ptr)>;

  explicit http_server(http_server_options opts = {});
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Routes, tried in the order added. A pattern without regex characters
  /// matches the path exactly; any other is a regex over the whole path,
  /// its groups in `req.matches`. HEAD requests use the GET routes.
  http_server& Get(const std::string& pattern, handler h);
  http_server& Post(const std::string& pattern, handler h);
  http_server& Put(const std::string& pattern, handler h);
  http_server& Patch(const std::string& pattern, handler h);
  http_server& Delete(const std::string& pattern, handler h);
  http_server& Options(const std::string& pattern, handler h);

  /// Fills in an error answer (status ≥ 400) that has no body yet: the
  /// server's own (400, 404, 408, 413, 431, 503, 505) and handlers' alike.
  void set_error_handler(handler h);
  /// Answers a request whose handler threw (else a bare 500).
  void set_exception_handler(exception_handler h);

  /// Binds to host:port; false when it cannot listen there.
  bool bind_to_port(const std::string& host, int port);
  /// Binds to a free port of `host`; returns it, or -1.
  int bind_to_any_port(const std::string& host);

  /// Whether the client of the request the calling thread is serving has
  /// closed its connection (end of stream, reset): for handlers and content
  /// providers that wait long between writes. False outside a request. A
  /// client that only shuts its sending side counts as gone, as most
  /// proxies count it.
  static bool client_gone();
  /// The same for a client socket that another thread watches while the
  /// serving thread is busy (client_socket(): the calling thread's, or -1).
  /// It stays open until the handler and its content provider returned.
  static bool client_gone(int client_socket);
  static int client_socket();

  /// Serves the bound socket until stop(); returns once every connection
  /// is done (idle keep-alive connections end at once, requests in
  /// flight are finished). False when nothing was bound.
  bool listen_after_bind();
  void stop();
  bool is_running() const { return running_.load(); }
  const http_server_options& options() const { return opts_; }

  /// Open connections and request-body bytes being read now (for tests
  /// and metrics).
  size_t open_connections() const { return open_count_.load(); }
  size_t body_bytes_in_flight() const { return body_bytes_.load(); }

private:
  struct route {
    std::string method;
    std::string path; ///< exact path, when `pattern` is empty
    std::unique_ptr<std::regex> pattern;
    handler serve;
  };
  class connection;
  class event_loop;
  friend class event_loop;

  bool stopping() const { return stop_requested_.load(std::memory_order_relaxed); }
  http_server& add(const char* method, const std::string& pattern, handler h);
  int bind(const std::string& host, int port);
  const route* find_route(const std::string& method, httplib::Request& req) const;
  /// Claims `n` bytes of the body budget; false when they do not fit.
  bool claim_body_bytes(size_t n);
  void release_body_bytes(size_t n);
  /// A whole answer with `Connection: close`, for the server's refusals.
  std::string refusal(int status) const;

  http_server_options opts_;
  std::vector<route> routes_;
  handler error_handler_;
  exception_handler exception_handler_;
  std::atomic<int> listen_sock_{-1};
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<size_t> open_count_{0};
  std::atomic<size_t> body_bytes_{0};
  std::mutex loop_mutex_;
  event_loop* loop_ = nullptr; ///< while listen_after_bind runs
};

} // namespace kb
