#include "services/admin/admin.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"

namespace kb::admin {

namespace {

struct admin_state {
  static inline const char* name = "admin";
  std::map<std::string, account_status> accounts;
  std::vector<std::string> order; ///< first report order = file order
};

caf::behavior admin_behavior(caf::stateful_actor<admin_state>* self) {
  return {
    [self](caf::put_atom, account_status& st) {
      auto& s = self->state;
      if (s.accounts.find(st.id) == s.accounts.end())
        s.order.push_back(st.id);
      s.accounts[st.id] = std::move(st);
    },
    // An account the supervisor no longer manages (removed or reloaded away).
    [self](atom::remove, const std::string& id) {
      auto& s = self->state;
      s.accounts.erase(id);
      s.order.erase(std::remove(s.order.begin(), s.order.end(), id), s.order.end());
    },
    [self](caf::get_atom, atom::accounts) {
      std::vector<account_status> out;
      for (auto& id : self->state.order)
        out.push_back(self->state.accounts.at(id));
      return out;
    },
  };
}

} // namespace

caf::actor spawn_admin(caf::actor_system& sys) {
  return sys.spawn(admin_behavior);
}

} // namespace kb::admin
