#include "services/common/quick_wake_actor.hpp"

#include <caf/detail/sync_request_bouncer.hpp>

namespace kb {

void quick_wake_actor::enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit*) {
  auto mid = ptr->mid;
  auto sender = ptr->sender;
  switch (mailbox().push_back(ptr.release())) {
    case caf::intrusive::inbox_result::unblocked_reader:
      { std::lock_guard<std::mutex> pass{wake_mutex_}; }
      wake_.notify_one();
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
  std::unique_lock<std::mutex> guard{wake_mutex_};
  wake_.wait(guard, [this] { return !mailbox().blocked(); });
}

bool quick_wake_actor::await_data(timeout_type timeout) {
  if (!mailbox().try_block())
    return true;
  std::unique_lock<std::mutex> guard{wake_mutex_};
  if (wake_.wait_until(guard, timeout, [this] { return !mailbox().blocked(); }))
    return true;
  // Unblocking fails only when a message arrived meanwhile.
  return !mailbox().try_unblock();
}

} // namespace kb
