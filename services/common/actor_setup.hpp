#pragma once

// The actor system settings every daemon starts from.

#include <cstddef>

#include <caf/fwd.hpp>

namespace kb {

/// Our message types, a scheduler of `threads` threads that sleep as soon
/// as their short spin finds nothing, and CAF's own console logger off. Call on the config before creating the actor system.
///
/// The scheduler keeps CAF's default, work stealing: measured against work
/// sharing (tests/bench/load.sh, perf stat), its polling thread costs ~1.5
/// fewer context switches per request under load and answers a single
/// client sooner; work sharing only wins on an idle process.
void configure_actor_system(caf::actor_system_config& cfg, size_t threads);

} // namespace kb
