#pragma once

// A worker performs one upstream Kiro call at a time for one account over
// its upstream_line. It blocks on I/O, so it is a blocking actor with its
// own thread (a quick_wake_actor: one wake-up per dispatch). It answers
// `(run, dispatch)` with a `call_outcome`.

#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "services/supervisor/upstream_line.hpp"

namespace kb::sup {

/// A worker and its line. The supervisor may ticket the line for an
/// in-process gateway instead of dispatching to the worker (null: never).
struct spawned_worker {
  caf::actor actor;
  std::shared_ptr<upstream_line> line;
};

spawned_worker spawn_worker(caf::actor_system& sys, worker_config cfg);

} // namespace kb::sup
