#pragma once

// The supervisor's inter-daemon port, published behind the BASP frame guard
// (basp_guard.hpp) and, when configured, over mutual TLS.
//
// CAF's own publish() hands every accepted socket straight to BASP. Here a
// middleman actor of our own (CAF's extension point: middleman_actor_impl's
// virtual open(), the same one CAF's OpenSSL module overrides) opens the
// acceptor, and each accepted connection reads through a policy that first
// decrypts (TLS) and then shows the bytes to the guard: a peer announcing
// more than it may is closed before BASP sizes a buffer for it.

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "services/common/basp_guard.hpp"

namespace kb::cluster {

struct publish_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  basp_limits limits;
  /// Accept TLS connections only (CAF's OpenSSL module must be loaded and
  /// configured with a CA, certificate and key: mutual TLS).
  bool tls = false;
};

/// Publishes `whom` like caf::io::publish, guarded; returns the bound port.
caf::expected<std::uint16_t> publish_guarded(caf::actor_system& sys, const caf::actor& whom,
                                             const publish_options& opts);

/// caf::openssl::remote_actor through the same TLS policy (an empty OpenSSL
/// error queue before every call): the supervisor as seen from a gateway or
/// admin daemon when cluster.tls is on.
caf::expected<caf::actor> tls_remote_actor(caf::actor_system& sys, const std::string& host,
                                           std::uint16_t port);

/// Connections the guard closed so far in this process.
std::uint64_t guard_rejections();

} // namespace kb::cluster
