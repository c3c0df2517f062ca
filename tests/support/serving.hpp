#pragma once

// A server (kb::http_server or any httplib server, bound by the caller)
// serving on its own thread for the length of a scope: running when
// constructed (or after 5 s, when it cannot start; the test's requests then
// fail), stopped and joined when destroyed.

#include <chrono>
#include <thread>

namespace kb::test {

template <class Server>
class serving {
public:
  explicit serving(Server& server)
    : server_(server), thread_([&server] { server.listen_after_bind(); }) {
    for (int i = 0; i < 5000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~serving() {
    server_.stop();
    thread_.join();
  }
  serving(const serving&) = delete;
  serving& operator=(const serving&) = delete;

private:
  Server& server_;
  std::thread thread_;
};

} // namespace kb::test
