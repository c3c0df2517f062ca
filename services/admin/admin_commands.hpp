#pragma once

// Blocking round trips from an HTTP thread to the supervisor and the admin
// actor (proto/protocol.md), each bounded by a timeout.

#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "proto/account_status.hpp"
#include "proto/atoms.hpp"

namespace kb::admin {

/// `(bool ok, string message)`; `answered` is false when the supervisor is
/// missing or did not reply in time (then `message` says which).
struct command_reply {
  bool answered = false;
  bool ok = false;
  std::string message;
};

command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::reload);
command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::add,
                                 const std::string& account_json);
command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::remove,
                                 const std::string& id);
command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::update,
                                 const std::string& id, const std::string& patch_json);
command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::test,
                                 const std::string& id);
command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::refresh,
                                 const std::string& id);

/// `(get, models)`: Kiro's ListAvailableModels through one healthy account;
/// nullopt when no account could ask.
std::optional<std::vector<std::string>> live_kiro_models(caf::actor_system& sys,
                                                         const caf::actor& sup);

/// `(get, accounts)` from the admin actor.
std::optional<std::vector<account_status>> fetch_accounts(caf::actor_system& sys,
                                                          const caf::actor& admin);
/// `(get, status)` from the supervisor: `{"queueDepth","pending","inFlight",…}`.
std::optional<std::string> supervisor_status(caf::actor_system& sys, const caf::actor& sup);

} // namespace kb::admin
