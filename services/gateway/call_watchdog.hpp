#pragma once

// Watches the upstream calls HTTP threads make themselves (tickets): the
// thread blocks in the call, so this one cancels it when its client hangs
// up or its deadline passes. It checks twice a second while it watches any
// call and sleeps otherwise.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace kb {
class call_cancel;
}

namespace kb::gw {

class call_watchdog {
public:
  using time_point = std::chrono::steady_clock::time_point;

  call_watchdog();
  ~call_watchdog();
  call_watchdog(const call_watchdog&) = delete;
  call_watchdog& operator=(const call_watchdog&) = delete;

  /// Watches one call while it lives.
  class watch {
  public:
    watch(call_watchdog& dog, uint64_t id) : dog_(dog), id_(id) {}
    ~watch() { dog_.forget(id_); }
    watch(const watch&) = delete;
    watch& operator=(const watch&) = delete;

  private:
    call_watchdog& dog_;
    uint64_t id_;
  };

  /// Cancels `cancel` once the client on `client_socket` hangs up or
  /// `deadline` passes, until the returned watch ends.
  watch observe(int client_socket, std::shared_ptr<call_cancel> cancel, time_point deadline);

private:
  struct entry {
    int client_socket;
    std::shared_ptr<call_cancel> cancel;
    time_point deadline;
  };

  void forget(uint64_t id);
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<uint64_t, entry> calls_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace kb::gw
