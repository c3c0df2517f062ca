#pragma once

// The admin actor keeps the latest state of every account as the
// supervisor reports it: `(put, account_status)`; `(get, accounts)` →
// `vector<account_status>`; `(get, health)` → `(string json)`.

#include <caf/fwd.hpp>

namespace kb::admin {

caf::actor spawn_admin(caf::actor_system& sys);

} // namespace kb::admin
