#pragma once

// Cancels one upstream call from another thread. The calling thread may be
// blocked in a read that only the peer's next bytes would end (a model that
// thinks for a minute before its first byte); cancel() shuts the call's
// socket down, so that read returns at once.
//
// The socket is published only while the call uses it (attach/detach, under
// a lock): a closed descriptor's number is soon another connection's.

#include <atomic>
#include <mutex>

namespace kb {

class call_cancel {
public:
  /// Marks the call cancelled and shuts down its socket if one is attached.
  void cancel();

  bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_relaxed);
  }

  /// For the client making the call: publishes `fd` until detach(); false
  /// (nothing attached) when the call is already cancelled.
  bool attach(int fd);
  void detach();

private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  int fd_ = -1;
};

} // namespace kb
