#pragma once

// The account supervisor owns the account pool: per account
// `workersPerAccount` workers, token refresh and usage polling on timers,
// strategy-based selection, queueing with a deadline, failover before the
// first byte, atomic persistence of rotated tokens, and state reports to the
// admin actor. In one process it also issues tickets (ticket_pool.hpp).
// Messages: see proto/protocol.md.

#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "services/supervisor/account_pool.hpp"
#include "services/supervisor/maintainer.hpp"
#include "services/supervisor/ticket_pool.hpp"
#include "services/supervisor/worker.hpp"
#include "shared/config/accounts.hpp"
#include "shared/config/server_config.hpp"

namespace kb::sup {

struct supervisor_config {
  std::string accounts_path;        ///< where rotated tokens are persisted
  std::string server_config_path;   ///< re-read by (reload); may be empty
  config::accounts_file accounts;   ///< as loaded at start
  pool::strategy strategy = pool::strategy::auto_;
  bool auto_switch = true;
  int32_t workers_per_account = 8;
  int64_t queue_timeout_ms = 30000;
  int64_t refresh_buffer_seconds = 300;
  int32_t refresh_retry_attempts = 3;
  int64_t usage_poll_ms = 300000;
  int64_t tick_ms = 250;
  int32_t max_attempts = 4;         ///< upstream calls per request, all accounts
  worker_config worker;             ///< template; account_id/machine_id filled per account
  maintainer_config maintainer;
  caf::actor admin;                 ///< receives (put, account_status); may be null
  /// Where an in-process gateway takes its tickets; null: no tickets (split
  /// daemons, tests of the request path through workers).
  std::shared_ptr<ticket_pool> tickets;

  /// Wall clock in epoch ms (tests pass a manual one).
  std::function<int64_t()> now_ms;
  /// Seams for deterministic tests; default to the real detached actors.
  std::function<spawned_worker(caf::actor_system&, const worker_config&)> make_worker;
  std::function<caf::actor(caf::actor_system&)> make_maintainer;
  std::function<caf::actor(caf::actor_system&)> make_persister;
};

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_config cfg);

pool::strategy to_pool_strategy(config::selection_strategy s);

} // namespace kb::sup
