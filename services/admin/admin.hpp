#pragma once

// The admin actor keeps the latest state of every account as the
// supervisor reports it: `(put, account_status)`; `(get, accounts)` →
// `vector<account_status>`; `(remove, id)` forgets an account the
// supervisor no longer manages.

#include <caf/fwd.hpp>

namespace kb::admin {

caf::actor spawn_admin(caf::actor_system& sys);

} // namespace kb::admin
