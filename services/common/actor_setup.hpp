#pragma once

// The actor system settings every daemon starts from.

#include <cstddef>

#include <caf/fwd.hpp>

namespace kb {

/// Our message types, a scheduler of `threads` threads and CAF's own
/// console logger off. Call on the config before creating the actor system.
///
/// The scheduler shares work instead of stealing it: with one or two
/// threads there is nothing to steal, and an idle work-stealing thread polls
/// with 50 µs sleeps, which adds up to ~0.1 ms to every hop through the
/// supervisor while burning CPU; a work-sharing thread sleeps on a condition
/// variable and wakes at once.
void configure_actor_system(caf::actor_system_config& cfg, size_t threads);

} // namespace kb
