// kiro-sim: a faithful Kiro simulator daemon (see services/sim/*.hpp).

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "services/sim/options.hpp"
#include "services/sim/server.hpp"
#include "services/sim/simulator.hpp"

namespace {

int64_t epoch_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto options = kb::sim::parse_options(args);
  if (!options) {
    std::cerr << "kiro-sim: " << options.error().message << "\n" << kb::sim::usage_text();
    return 2;
  }
  if (options->help) {
    std::cout << kb::sim::usage_text();
    return 0;
  }

  kb::sim::simulator sim(options->limits, options->seed);
  if (!options->accounts_file.empty()) {
    std::string text;
    if (!read_file(options->accounts_file, text)) {
      std::cerr << "kiro-sim: cannot read " << options->accounts_file << "\n";
      return 2;
    }
    if (auto err = sim.load_accounts(text, epoch_seconds())) {
      std::cerr << "kiro-sim: " << options->accounts_file << ": " << *err << "\n";
      return 2;
    }
  }
  std::string policy_json = "{\"refreshGraceSeconds\":" +
                            std::to_string(options->policy.old_token_grace_seconds) +
                            ",\"rotateRefreshTokens\":" +
                            (options->policy.rotate_refresh_token ? "true" : "false") + "}";
  sim.configure(policy_json);

  // Signals are taken synchronously by this thread; every server thread
  // inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  kb::sim::sim_server server(sim);
  kb::sim::listen_config listen{options->host,      options->port,     options->tls_port,
                                options->cert_file, options->key_file, options->threads};
  if (auto err = server.bind(listen)) {
    std::cerr << "kiro-sim: " << *err << "\n";
    return 1;
  }
  server.start();
  std::string line = "kiro-sim listening http=" + options->host + ":" +
                     std::to_string(server.http_port());
  if (server.https_port() >= 0)
    line += " https=" + options->host + ":" + std::to_string(server.https_port());
  std::cout << line << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  // Idle keep-alive connections hold pool threads until their timeout; the
  // process has nothing to flush, so exit once streams had a moment to end.
  std::promise<void> stopped;
  auto done = stopped.get_future();
  std::thread([&server, &stopped] {
    server.stop();
    stopped.set_value();
  }).detach();
  if (done.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
    std::_Exit(0);
  return 0;
}
