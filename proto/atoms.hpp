#pragma once

// Message tags shared by every daemon. Atom text is at most 10 characters
// (CAF 0.17). CAF's own get_atom, put_atom, ok_atom are used as well.

#include <caf/atom.hpp>

namespace kb::atom {

/// gateway → supervisor: run this conversation, stream to this sink.
using generate = caf::atom_constant<caf::atom("generate")>;
/// worker → sink: a batch of neutral stream events.
using events = caf::atom_constant<caf::atom("events")>;
/// worker → sink: the upstream answer ended cleanly.
using done = caf::atom_constant<caf::atom("done")>;
/// → sink: the request failed (an api_error); before any event, or mid-stream.
using failed = caf::atom_constant<caf::atom("failed")>;
/// supervisor → worker: perform one upstream call.
using run = caf::atom_constant<caf::atom("run")>;
/// supervisor → maintainer: refresh an account's token.
using refresh = caf::atom_constant<caf::atom("refresh")>;
/// supervisor → maintainer: poll an account's usage limits.
using usage = caf::atom_constant<caf::atom("usage")>;
/// supervisor → maintainer: an account's profile ARN (ListAvailableProfiles).
using profiles = caf::atom_constant<caf::atom("profiles")>;
/// supervisor → persister: write the accounts file.
using persist = caf::atom_constant<caf::atom("persist")>;
/// supervisor → itself: timers (tick, refresh timer, queue deadline).
using tick = caf::atom_constant<caf::atom("tick")>;
using timer = caf::atom_constant<caf::atom("timer")>;
/// admin/status queries.
using accounts = caf::atom_constant<caf::atom("accounts")>;
using health = caf::atom_constant<caf::atom("health")>;
using status = caf::atom_constant<caf::atom("status")>;
/// admin → supervisor: subscribe to state reports.
using subscribe = caf::atom_constant<caf::atom("subscribe")>;

} // namespace kb::atom

namespace kb::atom {

/// admin → supervisor: account management and configuration commands.
/// Every command replies `(bool ok, std::string message)`; see protocol.md.
using reload = caf::atom_constant<caf::atom("reload")>;
using add = caf::atom_constant<caf::atom("add")>;
using remove = caf::atom_constant<caf::atom("remove")>;
using update = caf::atom_constant<caf::atom("update")>;
using test = caf::atom_constant<caf::atom("test")>;
using workers = caf::atom_constant<caf::atom("workers")>;
/// The models Kiro offers, via one healthy account: `(get, models)`.
using models = caf::atom_constant<caf::atom("models")>;
/// supervisor → maintainer: an account's paged ListAvailableModels;
/// gateway → supervisor `(get, model_list)`: the models the pool serves.
using model_list = caf::atom_constant<caf::atom("modellist")>;

} // namespace kb::atom
