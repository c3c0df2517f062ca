#pragma once

// Tickets: upstream calls the supervisor has already placed, for an
// in-process gateway to make on its own HTTP thread. A ticket names the
// account the strategy picked, its credentials and one idle worker's line;
// the supervisor counts that worker as busy from the moment it issues the
// ticket. An HTTP thread takes one without waiting for any other thread (a
// round trip to the supervisor and a hand-off to a worker thread each cost
// more than the translation does), makes the call, and reports the outcome
// to the supervisor, which continues a failed call on its usual path. The
// supervisor takes back (revokes) tickets nobody took when it needs their
// workers or their account changed.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/supervisor/account_pool.hpp"
#include "shared/account/account.hpp"

namespace kb::sup {

class upstream_line;

struct ticket {
  uint64_t id = 0;
  std::string account_id;
  account::credentials creds;
  std::shared_ptr<upstream_line> line;
  pool::model_access access; ///< which models the account serves
};

class ticket_pool {
public:
  /// The oldest ticket (tickets are issued in the strategy's order).
  std::optional<ticket> take();
  /// The oldest ticket whose account serves `kiro_model` (pool::lacks_model).
  std::optional<ticket> take(std::string_view kiro_model);

  void add(ticket t);

  /// Removes the tickets not taken yet that `which` selects; their ids.
  std::vector<uint64_t> revoke(const std::function<bool(const ticket&)>& which);

  /// Tickets of `account_id` not taken yet.
  size_t untaken(const std::string& account_id) const;

private:
  mutable std::mutex mutex_;
  std::deque<ticket> tickets_;
};

} // namespace kb::sup
