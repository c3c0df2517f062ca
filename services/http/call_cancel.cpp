#include "services/http/call_cancel.hpp"

#include <sys/socket.h>

namespace kb {

void call_cancel::cancel() {
  std::lock_guard<std::mutex> guard{mutex_};
  cancelled_.store(true, std::memory_order_relaxed);
  if (fd_ >= 0)
    ::shutdown(fd_, SHUT_RDWR);
}

bool call_cancel::attach(int fd) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (cancelled_.load(std::memory_order_relaxed))
    return false;
  fd_ = fd;
  return true;
}

void call_cancel::detach() {
  std::lock_guard<std::mutex> guard{mutex_};
  fd_ = -1;
}

} // namespace kb
