#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace kb::sim {

class simulator;

/// Wakes every stream sleeping between chunks when the server stops.
class stop_signal {
public:
  /// Sleeps `ms`; false when stopping interrupted the sleep.
  bool sleep_for_ms(int ms);
  void trigger();
  bool triggered() const;

private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

/// Where and how to listen.
struct listen_config {
  std::string host = "127.0.0.1";
  int port = 0;
  int tls_port = -1; ///< -1: no HTTPS
  std::string cert_file;
  std::string key_file;
  int threads = 64;
};

/// kiro-sim's HTTP and HTTPS listeners over one `simulator`.
class sim_server {
public:
  explicit sim_server(simulator& sim);
  ~sim_server();
  sim_server(const sim_server&) = delete;
  sim_server& operator=(const sim_server&) = delete;

  /// Binds the listeners; an error says what failed.
  std::optional<std::string> bind(const listen_config& config);
  int http_port() const noexcept { return http_port_; }
  int https_port() const noexcept { return https_port_; }

  /// Serves on background threads until `stop()`.
  void start();
  void stop();

private:
  void install_routes(httplib::Server& server);

  simulator& sim_;
  stop_signal stopping_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<httplib::Server> https_;
  int http_port_ = -1;
  int https_port_ = -1;
  std::vector<std::thread> listeners_;
};

} // namespace kb::sim
