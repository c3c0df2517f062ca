// kb::quick_wake_actor: a blocking actor with a one-wake-up mailbox, driven
// by its own thread (spawned) and by a foreign thread (like a gateway sink).

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/send.hpp>

#include "services/common/quick_wake_actor.hpp"

using namespace std::chrono_literals;

namespace {

/// Answers every int with its double until an exit message arrives.
class doubler final : public kb::quick_wake_actor {
public:
  using kb::quick_wake_actor::quick_wake_actor;
  void act() override {
    bool running = true;
    receive_while(running)([](int x) { return 2 * x; },
                           [&](caf::exit_msg& m) {
                             running = false;
                             fail_state(std::move(m.reason));
                           });
  }
};

/// A quick_wake_actor without a thread: the test thread receives for it.
class inbox final : public kb::quick_wake_actor {
public:
  explicit inbox(caf::actor_config& cfg) : kb::quick_wake_actor(cfg) {
    setf(is_detached_flag);
  }
};

struct system_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

} // namespace

TEST_CASE_FIXTURE(system_fixture, "a spawned quick_wake_actor answers requests from another thread") {
  auto d = sys.spawn<doubler>();
  caf::scoped_actor self{sys};
  for (int i = 0; i < 2000; ++i) {
    int got = -1;
    self->request(d, caf::infinite, i).receive([&](int x) { got = x; },
                                               [&](caf::error&) { got = -2; });
    REQUIRE(got == 2 * i);
  }
  caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
  self->wait_for(d);
}

TEST_CASE_FIXTURE(system_fixture, "a request to a quick_wake_actor that ended gets an error") {
  auto d = sys.spawn<doubler>();
  caf::scoped_actor self{sys};
  caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
  self->wait_for(d);
  bool failed = false;
  self->request(d, 1s, 21).receive([](int) {}, [&](caf::error&) { failed = true; });
  CHECK(failed);
}

TEST_CASE_FIXTURE(system_fixture, "a foreign thread's timed receive times out, then still gets what came late") {
  caf::scoped_execution_unit context{&sys};
  caf::actor_config acfg{&context};
  auto hdl = caf::make_actor<inbox, caf::actor>(sys.next_actor_id(), sys.node(), &sys, acfg);
  auto* box = static_cast<inbox*>(caf::actor_cast<caf::abstract_actor*>(hdl));
  bool timed_out = false;
  box->receive([](const std::string&) {}, caf::after(30ms) >> [&] { timed_out = true; });
  CHECK(timed_out);
  std::atomic<int> sent{0};
  std::thread sender{[&] {
    for (int i = 0; i < 500; ++i) {
      caf::anon_send(hdl, i);
      sent = i + 1;
      if (i % 50 == 0)
        std::this_thread::sleep_for(1ms); // let the receiver block in between
    }
  }};
  int expected = 0;
  while (expected < 500) {
    bool got = false;
    box->receive([&](int x) { CHECK(x == expected); got = true; },
                 caf::after(5s) >> [] {});
    REQUIRE(got); // no lost wake-up: every message arrives, in order
    ++expected;
  }
  sender.join();
  box->cleanup(caf::exit_reason::normal, &context);
}
