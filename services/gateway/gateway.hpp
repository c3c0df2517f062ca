#pragma once

// The Claude-facing HTTP surface: /v1/messages (JSON and SSE),
// /v1/messages/count_tokens, /v1/models. Each request borrows a sink (a
// scoped actor, reused once its request is settled) that the supervisor's
// worker streams events to; the HTTP thread drains it into the reply
// assembler. A JSON request that finds a supervisor ticket makes its
// upstream call on the HTTP thread instead (see sup::ticket_pool).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "shared/config/model_mapping.hpp"

namespace kb {
class http_server;
}

namespace kb::sup {
class ticket_pool;
}

namespace kb::gw {

struct gateway_settings {
  std::vector<std::string> api_keys; ///< empty = any key accepted
  config::model_mapping models;
  int64_t ping_interval_ms = 15000;
  /// How long a streamed request waits for its first upstream event before
  /// committing the 200 (until then, failures still get a real status).
  int64_t commit_wait_ms = 5000;
  int64_t request_timeout_ms = 600000;
  /// connectionPool.streamTimeout: the longest a streamed answer may run in
  /// total; then it ends with an SSE error event and the upstream call is
  /// cancelled (requestTimeout bounds non-streamed answers only).
  int64_t stream_timeout_ms = 1800000;
};

class gateway {
public:
  /// With `tickets` (the supervisor's, in one process), JSON requests make
  /// their upstream call on the HTTP thread when a ticket is there.
  gateway(caf::actor_system& sys, caf::actor supervisor, gateway_settings settings,
          std::shared_ptr<sup::ticket_pool> tickets = nullptr);

  void register_routes(http_server& server);

  /// Replaces the settings (hot reload); requests in flight keep theirs.
  void update(gateway_settings settings);
  std::shared_ptr<const gateway_settings> settings() const;

  /// Requests currently being served (for draining on shutdown).
  int in_flight() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace kb::gw
