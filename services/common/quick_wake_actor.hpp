#pragma once

// A blocking actor that wakes its thread once per message burst.
//
// CAF 0.17's blocking_actor signals its condition variable while holding
// the mailbox mutex: the woken thread runs, finds the mutex taken, sleeps
// again and needs a second wake-up from the unlock. Every hop to a worker
// or a gateway sink paid two context switches for one message. Here the
// sender that unblocks the reader sets a flag and wakes it with one futex
// call; no lock is involved.

#include <atomic>
#include <cstdint>

#include <caf/blocking_actor.hpp>
#include <caf/others.hpp>
#include <caf/result.hpp>
#include <caf/sec.hpp>

namespace kb {

class quick_wake_actor : public caf::blocking_actor {
public:
  using caf::blocking_actor::blocking_actor;

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* host) override;
  void await_data() override;
  bool await_data(timeout_type timeout) override;

private:
  /// Set by the sender that took the mailbox out of `blocked`. A timed wait
  /// that gave up may leave it set; the next wait clears it and re-checks
  /// the mailbox.
  std::atomic<uint32_t> woken_{0};
};

/// The last clause of a blocking actor's receive: a blocking actor keeps
/// every message no clause matches, for good; this drops it (a request gets
/// `unexpected_message`).
inline auto drop_unmatched() {
  return caf::others >> [](caf::message_view&) -> caf::result<caf::message> {
    return caf::sec::unexpected_message;
  };
}

} // namespace kb
