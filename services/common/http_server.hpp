#pragma once

// The settings every daemon's httplib server gets: a thread pool sized for
// many concurrent long streams, TCP_NODELAY, the body limit, and errors in
// Anthropic's JSON shape (also for routes that do not exist).

#include <cstddef>
#include <functional>
#include <string>

#include <httplib.h>

#include "services/http/http_server.hpp"

namespace kb {

struct http_server_options {
  size_t threads = 512;             ///< one per open connection (keep-alive or SSE)
  size_t max_body_bytes = 32u << 20;
  int read_timeout_s = 120;
  /// Also bounds a drain: idle keep-alive connections close within it.
  int keep_alive_timeout_s = 5;
};

void configure_http_server(httplib::Server& server, const http_server_options& opts);

/// Binds `server` to host:port (port 0 = any free port); returns the bound
/// port, or -1 when it cannot listen there.
int bind_http(httplib::Server& server, const std::string& host, int port);

/// Serves the bound `server` until SIGTERM or SIGINT (blocked with
/// block_termination_signals()). Then `on_signal(sig)` runs (log, drain
/// what the daemon owns), the server stops taking connections and returns
/// once its connections are done; a drain longer than `drain_timeout_ms`
/// ends the process with exit code 0.
void serve_until_terminated(httplib::Server& server, long long drain_timeout_ms,
                            const std::function<void(int)>& on_signal);

} // namespace kb
