// kiro-bridge: the all-in-one daemon. Loads DIR/server-config.json,
// DIR/kiro-accounts.json and DIR/model-mapping.json, runs the gateway,
// supervisor and admin actors in one actor system, and serves the Claude
// API and the admin API on one port. SIGTERM drains in-flight streams.

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <httplib.h>

#include "services/admin/admin.hpp"
#include "services/admin/admin_surface.hpp"
#include "services/admin/config_store.hpp"
#include "services/common/actor_setup.hpp"
#include "services/common/log.hpp"
#include "services/common/http_server.hpp"
#include "services/common/service_config.hpp"
#include "services/common/signals.hpp"
#include "services/gateway/gateway_setup.hpp"
#include "services/supervisor/supervisor_setup.hpp"

namespace {

struct options {
  std::string config_dir = "config";
  int port_override = -1;
  std::string host_override;
};

std::optional<options> parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc)
        return std::nullopt;
      return std::string{argv[++i]};
    };
    if (a == "--config-dir") {
      auto v = value();
      if (!v)
        return std::nullopt;
      o.config_dir = *v;
    } else if (a == "--port") {
      auto v = value();
      if (!v)
        return std::nullopt;
      o.port_override = std::atoi(v->c_str());
    } else if (a == "--host") {
      auto v = value();
      if (!v)
        return std::nullopt;
      o.host_override = *v;
    } else if (a == "--help" || a == "-h") {
      return std::nullopt;
    } else {
      std::cerr << "kiro-bridge: unknown argument " << a << "\n";
      return std::nullopt;
    }
  }
  return o;
}

/// Why host:port cannot be bound, found by trying it again (the server's
/// bind keeps no errno): "Address already in use", an unknown host, ...
std::string bind_failure_reason(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints,
                             &found);
      rc != 0)
    return std::string{"cannot resolve the host: "} + ::gai_strerror(rc);
  std::string reason = "no address to bind";
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    int s = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (s < 0) {
      reason = std::strerror(errno);
      continue;
    }
    int yes = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    bool ok = ::bind(s, ai->ai_addr, ai->ai_addrlen) == 0;
    reason = ok ? "the port was taken while starting" : std::strerror(errno);
    ::close(s);
    if (!ok && errno == EADDRINUSE)
      reason += " (another kiro-bridge or program listens there; pick one with --port)";
  }
  ::freeaddrinfo(found);
  return reason;
}

/// What to do next when the pool is empty: a request could only fail.
void print_first_steps(const std::string& host, int port, const std::string& config_dir) {
  auto url = "http://" + host + ":" + std::to_string(port);
  std::cout << "\nNo Kiro account is configured yet, so Claude requests get a 503 until you add one:\n"
               "  kiroctl --url " << url << " accounts import"
               "            # reads the Kiro IDE's ~/.aws/sso/cache/kiro-auth-token.json\n"
               "  or the web UI at " << url << "/ (Accounts → Import),\n"
               "  or edit " << config_dir << "/kiro-accounts.json (see config/kiro-accounts.example.json).\n"
               "README.md, \"Add your Kiro account\", says where the Kiro IDE keeps its token.\n"
            << std::endl;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse_args(argc, argv);
  if (!opts) {
    std::cerr << "usage: kiro-bridge [--config-dir DIR] [--host H] [--port N]\n"
                 "  DIR holds server-config.json, kiro-accounts.json, "
                 "model-mapping.json (default: config)\n"
                 "environment:\n"
                 "  KB_WEB_DIR=DIR  serve the web UI from DIR (default: the build's, "
              << KB_WEB_DIST << ")\n";
    return 2;
  }
  kb::block_termination_signals();
  auto loaded = kb::load_service_config(opts->config_dir);
  if (!loaded) {
    std::cerr << "kiro-bridge: " << loaded.error << "\n";
    return 1;
  }
  auto& conf = *loaded.value;
  // The store keeps the files' own host/port: a reload compares with them.
  auto store = std::make_shared<kb::admin::config_store>(conf);
  if (opts->port_override >= 0)
    conf.server.port = opts->port_override;
  if (!opts->host_override.empty())
    conf.server.host = opts->host_override;
  kb::start_logging(conf.server, "", "kiro-bridge");

  caf::actor_system_config cfg;
  kb::configure_actor_system(cfg, 1);
  caf::actor_system sys{cfg};

  auto admin = kb::admin::spawn_admin(sys);
  auto sup_cfg = kb::sup::make_supervisor_config(conf);
  sup_cfg.admin = admin;
  // In one process the gateway makes JSON requests' calls on its own HTTP
  // threads, on workers the supervisor ticketed for them.
  auto tickets = std::make_shared<kb::sup::ticket_pool>();
  sup_cfg.tickets = tickets;
  auto supervisor = kb::sup::spawn_supervisor(sys, std::move(sup_cfg));
  kb::gw::gateway gateway{sys, supervisor, kb::gw::make_gateway_settings(conf), tickets};

  kb::http_server server{kb::gw::make_http_server_options(conf)};
  kb::set_api_error_handlers(server);
  gateway.register_routes(server);
  store->add_listener([&gateway](const kb::service_config& next) {
    gateway.update(kb::gw::make_gateway_settings(next));
  });
  auto watcher = kb::admin::serve_admin(
    server, sys, admin, supervisor, store,
    {conf.server.admin_token, opts->config_dir, KB_WEB_DIST,
     conf.server.watch_config, conf.server.host});

  int port = kb::bind_http(server, conf.server.host, conf.server.port);
  if (port < 0) {
    std::cerr << "kiro-bridge: cannot listen on " << conf.server.host << ":"
              << conf.server.port << ": "
              << bind_failure_reason(conf.server.host, conf.server.port) << "\n";
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "kiro-bridge listening on http://" << conf.server.host << ":"
            << port << std::endl;
  auto url = "http://" + conf.server.host + ":" + std::to_string(port);
  std::cout << "  web UI   " << url << "/\n"
            << "  metrics  " << url << "/metrics\n"
            << "  health   " << url << "/api/health\n"
            << "  kiroctl  kiroctl --url " << url << " accounts list" << std::endl;
  if (conf.accounts.accounts.empty())
    print_first_steps(conf.server.host, port, opts->config_dir);
  KB_INFO("bridge", "listening on " << conf.server.host << ":" << port
                                    << ", config " << opts->config_dir);

  kb::serve_until_terminated(server, conf.drain_timeout_ms, [&gateway](int sig) {
    KB_INFO("bridge", "signal " << sig << ": draining " << gateway.in_flight()
                                << " request(s)");
  });
  watcher.reset();
  caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
  KB_INFO("bridge", "stopped");
  return 0;
}
