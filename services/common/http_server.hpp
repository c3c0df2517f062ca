#pragma once

// What every daemon's HTTP server shares: errors in Anthropic's JSON shape
// (also for routes that do not exist), and serving until SIGTERM with a
// bounded drain.

#include <functional>
#include <string>

#include "services/http/http_server.hpp"

namespace kb {

/// Errors the server or a handler left without a body, and handlers that
/// threw, are answered in Anthropic's error shape with a request id.
void set_api_error_handlers(http_server& server);

/// Binds `server` to host:port (port 0 = any free port); returns the bound
/// port, or -1 when it cannot listen there.
int bind_http(http_server& server, const std::string& host, int port);

/// Serves the bound `server` until SIGTERM or SIGINT (blocked with
/// block_termination_signals()). Then `on_signal(sig)` runs (log, drain
/// what the daemon owns), the server stops taking connections and returns
/// once its connections are done; a drain longer than `drain_timeout_ms`
/// ends the process with exit code 0.
void serve_until_terminated(http_server& server, long long drain_timeout_ms,
                            const std::function<void(int)>& on_signal);

} // namespace kb
