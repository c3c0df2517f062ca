#pragma once

// A blocking actor that wakes its thread once per message burst.
//
// CAF 0.17's blocking_actor signals its condition variable while holding
// the mailbox mutex: the woken thread runs, finds the mutex taken, sleeps
// again and needs a second wake-up from the unlock. Every hop to a worker
// or a gateway sink paid two context switches for one message. Here the
// sender passes the mutex before it signals, so the reader wakes once.

#include <condition_variable>
#include <mutex>

#include <caf/blocking_actor.hpp>

namespace kb {

class quick_wake_actor : public caf::blocking_actor {
public:
  using caf::blocking_actor::blocking_actor;

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* host) override;
  void await_data() override;
  bool await_data(timeout_type timeout) override;

private:
  /// Guards nothing but the hand-off: a sender that unblocked the reader
  /// takes it once, so the reader is either still checking the mailbox
  /// (and sees the message) or already waiting (and gets the signal).
  std::mutex wake_mutex_;
  std::condition_variable wake_;
};

} // namespace kb
