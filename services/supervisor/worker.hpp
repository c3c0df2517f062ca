#pragma once

// A worker performs one upstream Kiro call at a time for one account over
// its own keep-alive connection. It blocks on I/O, so it is a blocking
// actor with its own thread (a quick_wake_actor: one wake-up per dispatch).
// It answers `(run, dispatch)` with a `call_outcome`.

#include <string>

#include <caf/fwd.hpp>

#include "services/common/http_client.hpp"

namespace kb::sup {

struct worker_config {
  std::string account_id;
  std::string api_base_url;  ///< e.g. https://q.us-east-1.amazonaws.com
  http_client_options http;
  std::string machine_id;
  std::string kiro_version;
  size_t max_body_bytes = 600000;
};

caf::actor spawn_worker(caf::actor_system& sys, worker_config cfg);

} // namespace kb::sup
