#include "services/common/signals.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace kb {

namespace {

sigset_t termination_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

} // namespace

void block_termination_signals() {
  auto set = termination_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
}

int wait_for_termination_signal() {
  auto set = termination_set();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
    // retry on EINTR
  }
  return sig;
}

void request_termination() {
  kill(getpid(), SIGTERM);
}

void exit_after_drain_timeout(long long ms) {
  std::thread{[ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    std::fprintf(stderr, "drain timeout (%lld ms) reached, exiting\n", ms);
    std::fflush(stderr);
    _exit(0);
  }}.detach();
}

} // namespace kb
