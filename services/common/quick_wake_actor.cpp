#include "services/common/quick_wake_actor.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include <caf/detail/sync_request_bouncer.hpp>

namespace kb {

namespace {

void futex_wake_one(std::atomic<uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
}

/// Sleeps while `word` is 0, at most `timeout` (nullptr: no limit). Returns
/// early on a wake-up, a signal, or when `word` already changed.
void futex_wait_while_zero(std::atomic<uint32_t>& word, const timespec* timeout) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, 0, timeout,
            nullptr, 0);
}

} // namespace

void quick_wake_actor::enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit*) {
  auto mid = ptr->mid;
  auto sender = ptr->sender;
  switch (mailbox().push_back(ptr.release())) {
    case caf::intrusive::inbox_result::unblocked_reader:
      woken_.store(1, std::memory_order_release);
      futex_wake_one(woken_);
      break;
    case caf::intrusive::inbox_result::queue_closed:
      // The actor is gone: a request gets its error instead of silence.
      if (mid.is_request())
        caf::detail::sync_request_bouncer{caf::local_actor::fail_state()}(sender, mid);
      break;
    default:
      break;
  }
}

void quick_wake_actor::await_data() {
  if (!mailbox().try_block())
    return;
  while (mailbox().blocked())
    if (woken_.exchange(0, std::memory_order_acquire) == 0)
      futex_wait_while_zero(woken_, nullptr);
}

bool quick_wake_actor::await_data(timeout_type timeout) {
  if (!mailbox().try_block())
    return true;
  while (mailbox().blocked()) {
    if (woken_.exchange(0, std::memory_order_acquire) != 0)
      continue;
    auto left = timeout - timeout_type::clock::now();
    if (left <= timeout_type::duration::zero())
      return !mailbox().try_unblock(); // fails only when a message came
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec rel{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    futex_wait_while_zero(woken_, &rel);
  }
  return true;
}

} // namespace kb
