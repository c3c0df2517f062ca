#pragma once

// Our HTTP/1.1 server, which every daemon listens with. An accept thread
// hands each connection to a pooled thread that serves it for its whole
// life (keep-alive, pipelining, long SSE streams). Requests are parsed in
// place from socket_stream's buffer by http1_reader (the parser our client
// uses), routed by exact path or regex, and answered with the header block
// and body in one segment. Handlers use httplib's Request and Response.
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
#include <unordered_set>
#include <vector>

#include <httplib.h>

namespace kb {

struct http_server_options {
  size_t threads = 512;             ///< one per open connection (keep-alive or SSE)
  size_t max_body_bytes = 32u << 20;
  int read_timeout_s = 120;         ///< max silence within a request
  int write_timeout_s = 120;        ///< max wait for a client to take bytes
  /// Also bounds a drain: idle keep-alive connections close within it.
  int keep_alive_timeout_s = 5;
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
  /// server's own (400, 404, 413, 431) and handlers' alike.
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

private:
  struct route {
    std::string method;
    std::string path; ///< exact path, when `pattern` is empty
    std::unique_ptr<std::regex> pattern;
    handler serve;
  };
  class connection;

  bool stopping() const { return stop_requested_.load(std::memory_order_relaxed); }
  http_server& add(const char* method, const std::string& pattern, handler h);
  int bind(const std::string& host, int port);
  void serve_connection(int sock);
  const route* find_route(const std::string& method, httplib::Request& req) const;

  http_server_options opts_;
  std::vector<route> routes_;
  handler error_handler_;
  exception_handler exception_handler_;
  std::atomic<int> listen_sock_{-1};
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::mutex open_mutex_;
  std::unordered_set<int> open_; ///< sockets of connections being served
};

} // namespace kb
