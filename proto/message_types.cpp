#include "proto/message_types.hpp"

#include <caf/actor_system_config.hpp>

#include "proto/inspect.hpp"

namespace kb {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<conversation>("kb::conversation");
  cfg.add_message_type<stream_event>("kb::stream_event");
  cfg.add_message_type<upstream_failure>("kb::upstream_failure");
  cfg.add_message_type<api_error>("kb::api_error");
  cfg.add_message_type<account_status>("kb::account_status");
}

} // namespace kb
