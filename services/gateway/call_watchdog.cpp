#include "services/gateway/call_watchdog.hpp"

#include "services/http/call_cancel.hpp"
#include "services/http/http_server.hpp"

namespace kb::gw {

namespace {

constexpr std::chrono::milliseconds check_interval{500};

} // namespace

call_watchdog::call_watchdog() : thread_([this] { run(); }) {
  // nop
}

call_watchdog::~call_watchdog() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

call_watchdog::watch call_watchdog::observe(int client_socket,
                                            std::shared_ptr<call_cancel> cancel,
                                            time_point deadline) {
  uint64_t id;
  bool was_idle;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    id = next_id_++;
    was_idle = calls_.empty();
    calls_.emplace(id, entry{client_socket, std::move(cancel), deadline});
  }
  if (was_idle)
    wake_.notify_one();
  return watch{*this, id};
}

void call_watchdog::forget(uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  calls_.erase(id);
}

void call_watchdog::run() {
  std::unique_lock<std::mutex> lock{mutex_};
  while (!stopping_) {
    if (calls_.empty()) {
      wake_.wait(lock, [this] { return stopping_ || !calls_.empty(); });
      continue;
    }
    wake_.wait_for(lock, check_interval, [this] { return stopping_; });
    auto now = std::chrono::steady_clock::now();
    // Under the lock: a watched client socket stays open until its watch ends.
    for (auto& [id, call] : calls_)
      if (now >= call.deadline ||
          (call.client_socket >= 0 && http_server::client_gone(call.client_socket)))
        call.cancel->cancel();
  }
}

} // namespace kb::gw
