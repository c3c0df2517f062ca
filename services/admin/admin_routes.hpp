#pragma once

// The admin REST surface on an httplib server: /api/health, /api/accounts.
// With an adminToken set, requests need `Authorization: Bearer <token>`;
// without one, only loopback clients are answered.

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace httplib {
class Server;
}

namespace kb::admin {

struct admin_routes_config {
  std::string admin_token;
  std::string version = "0.1.0";
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

void register_admin_routes(httplib::Server& server, caf::actor_system& sys,
                           caf::actor admin, admin_routes_config cfg);

} // namespace kb::admin
