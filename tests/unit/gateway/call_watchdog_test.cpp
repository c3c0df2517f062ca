// kb::gw::call_watchdog: a call an HTTP thread makes itself is cancelled
// when its client hangs up or its deadline passes, and only while watched.

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "services/gateway/call_watchdog.hpp"
#include "services/http/call_cancel.hpp"

using namespace std::chrono_literals;

namespace {

/// Polls `done` for up to 5 s.
template <class Predicate>
bool within_seconds(Predicate done) {
  for (int i = 0; i < 500; ++i) {
    if (done())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

struct socket_pair {
  int fds[2] = {-1, -1};
  socket_pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0); }
  ~socket_pair() {
    for (int fd : fds)
      if (fd >= 0)
        ::close(fd);
  }
  void hang_up_client() {
    ::close(fds[1]);
    fds[1] = -1;
  }
};

} // namespace

TEST_CASE("a watched call is cancelled when its client hangs up, not before") {
  kb::gw::call_watchdog dog;
  socket_pair conn;
  auto cancel = std::make_shared<kb::call_cancel>();
  auto watch = dog.observe(conn.fds[0], cancel, std::chrono::steady_clock::now() + 1h);
  std::this_thread::sleep_for(700ms); // more than one check
  CHECK_FALSE(cancel->cancelled());
  conn.hang_up_client();
  CHECK(within_seconds([&] { return cancel->cancelled(); }));
}

TEST_CASE("a watched call is cancelled when its deadline passes") {
  kb::gw::call_watchdog dog;
  socket_pair conn;
  auto cancel = std::make_shared<kb::call_cancel>();
  auto watch = dog.observe(conn.fds[0], cancel, std::chrono::steady_clock::now() + 200ms);
  CHECK(within_seconds([&] { return cancel->cancelled(); }));
}

TEST_CASE("a call no longer watched is left alone") {
  kb::gw::call_watchdog dog;
  socket_pair conn;
  auto cancel = std::make_shared<kb::call_cancel>();
  {
    auto watch = dog.observe(conn.fds[0], cancel, std::chrono::steady_clock::now() + 1h);
  }
  conn.hang_up_client();
  std::this_thread::sleep_for(1200ms);
  CHECK_FALSE(cancel->cancelled());
}
