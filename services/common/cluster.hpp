#pragma once

// Split mode: the gateway and admin daemons reach the supervisor daemon over
// CAF's middleman (BASP over TCP). A supervisor_link keeps a connection to
// it, reconnecting with backoff whenever it goes away, and hands out one
// stable local handle (the proxy) that forwards to whichever supervisor is
// connected now. While none is, the proxy answers at once: a Claude request
// gets 529 overloaded_error, a request gets an error, never a hang; calls in
// flight when the supervisor dies are failed the same way.
//
// BASP has no authentication of its own: the supervisor's port binds to
// loopback unless configured, and beyond one host the daemons speak mutual
// TLS (cluster.tls: CAF's OpenSSL module) or stay on a private network.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "shared/common/api_error.hpp"
#include "shared/config/server_config.hpp"

namespace kb::cluster {

struct backoff_policy {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{2000};
};

/// The pause before reconnect attempt `attempt` (0 = the first retry):
/// initial · 2^attempt, capped at max; negative attempts count as 0.
std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int attempt);

/// What a Claude client is told while no supervisor is reachable.
api_error no_supervisor_error();

using tls_settings = config::cluster_settings::tls_settings;

/// The actor system settings of a split daemon: configure_actor_system with
/// two scheduler threads, plus the middleman, plus CAF's OpenSSL module with
/// `tls`'s files when it is enabled (then both sides require a certificate
/// the CA signed: mutual TLS).
void configure_daemon_system(caf::actor_system_config& cfg, const tls_settings& tls = {});

/// Why `tls`'s files cannot serve a TLS endpoint (unreadable, not PEM, key
/// not matching the certificate, certificate not signed by the CA), or ""
/// when they can (or TLS is off). CAF would only find out on the first
/// connection, by throwing on the multiplexer's thread.
std::string tls_problem(const tls_settings& tls);

/// The supervisor currently connected, or none; safe from any thread.
class supervisor_slot {
public:
  caf::actor get() const;
  void set(caf::actor supervisor);
  void clear();

private:
  mutable std::mutex mutex_;
  caf::actor current_;
};

/// A local actor standing in for the supervisor. Every message goes to
/// `slot`'s current supervisor with its sender kept (requests get the
/// supervisor's reply). `(generate, conversation, sink)` with no supervisor
/// → `(failed, no_supervisor_error())` to the sink; a request with no
/// supervisor → error `sec::no_such_peer`... reported as a caf::error. The
/// sinks of generate calls are tracked until they end; if the supervisor
/// that took them goes down, each gets `(failed, no_supervisor_error())`.
caf::actor spawn_supervisor_proxy(caf::actor_system& sys,
                                  std::shared_ptr<supervisor_slot> slot);

struct link_options {
  std::string host = "127.0.0.1";
  uint16_t port = 4100;
  backoff_policy backoff;
  /// How long a TCP probe may take before the CAF handshake is attempted
  /// (remote_actor itself may block for minutes on an unreachable host).
  std::chrono::milliseconds connect_timeout{1000};
  /// Called on the link's thread after every (re)connect, e.g. to subscribe.
  std::function<void(const caf::actor& supervisor)> on_connect;
  /// Names the daemon in logs.
  std::string component = "cluster";
  /// Connect over TLS (configure_daemon_system loaded the OpenSSL module).
  bool tls = false;
};

/// Keeps a connection to the remote supervisor on its own thread.
class supervisor_link {
public:
  supervisor_link(caf::actor_system& sys, link_options opts);
  ~supervisor_link(); ///< stop()
  supervisor_link(const supervisor_link&) = delete;
  supervisor_link& operator=(const supervisor_link&) = delete;

  /// The stable handle to give the gateway and admin routes.
  caf::actor proxy() const { return proxy_; }
  /// The connected supervisor, or a null handle.
  caf::actor current() const { return slot_->get(); }
  bool connected() const { return static_cast<bool>(slot_->get()); }
  /// Completed connections so far (1 after the first, 2 after a reconnect...).
  int connections() const;
  /// Waits until a supervisor is connected; false after `timeout`.
  bool wait_connected(std::chrono::milliseconds timeout) const;
  /// Ends the reconnect loop and the proxy; idempotent.
  void stop();

private:
  void run();
  bool sleep_unless_stopped(std::chrono::milliseconds d);

  caf::actor_system& sys_;
  link_options opts_;
  std::shared_ptr<supervisor_slot> slot_;
  caf::actor proxy_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;
  int connections_ = 0;
  std::thread thread_;
};

/// True for an address that stays on this host: 127.0.0.0/8, ::1, localhost.
bool is_loopback(const std::string& host);

/// True when a TCP connection to host:port opens within `timeout`.
bool tcp_reachable(const std::string& host, uint16_t port,
                   std::chrono::milliseconds timeout);

} // namespace kb::cluster
