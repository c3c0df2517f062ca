#include "services/common/actor_setup.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include "proto/message_types.hpp"

namespace kb {

void configure_actor_system(caf::actor_system_config& cfg, size_t threads) {
  add_message_types(cfg);
  cfg.set("scheduler.max-threads", threads);
  cfg.set("logger.console", caf::atom("none"));
}

} // namespace kb
