#pragma once

namespace caf {
class actor_system_config;
}

namespace kb {

/// Registers every type that travels between actors or daemons. Every
/// daemon calls this once on its config before creating the actor system.
void add_message_types(caf::actor_system_config& cfg);

} // namespace kb
