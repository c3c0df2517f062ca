// kiro-admin: the admin API of kiro-bridge as its own daemon (split mode).
// Reaches kiro-supervisor at cluster.supervisorHost:supervisorPort,
// subscribes to its account reports on every (re)connect, and forwards
// account commands to it; while no supervisor is connected, commands fail
// at once (503) and the last known account states are served. SIGTERM:
// finish the requests in flight, then exit 0.

#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <httplib.h>

#include "proto/atoms.hpp"
#include "proto/message_types.hpp"
#include "services/admin/admin.hpp"
#include "services/admin/admin_surface.hpp"
#include "services/admin/config_store.hpp"
#include "services/common/cluster.hpp"
#include "services/common/daemon_args.hpp"
#include "services/common/http_server.hpp"
#include "services/common/log.hpp"
#include "services/common/service_config.hpp"

namespace {

const std::vector<std::string> accepted_flags = {"host", "port", "supervisor-host",
                                                 "supervisor-port", "cluster-ca"};

} // namespace

int main(int argc, char** argv) {
  auto started = kb::start_daemon(argc, argv, "kiro-admin", accepted_flags, "admin");
  if (auto* code = std::get_if<int>(&started))
    return *code;
  auto& [args, conf] = std::get<kb::daemon_start>(started);
  auto& cluster = conf.server.cluster;
  // The store keeps the files' own host/port: a reload compares with them.
  auto store = std::make_shared<kb::admin::config_store>(conf);
  auto host = args.host.value_or(conf.server.host);
  int port = args.port.value_or(conf.server.port + 1 > 65535 ? 0 : conf.server.port + 1);

  if (auto problem = kb::cluster::tls_problem(cluster.tls); !problem.empty()) {
    std::cerr << "kiro-admin: " << problem << "\n";
    return 1;
  }
  caf::actor_system_config cfg;
  kb::cluster::configure_daemon_system(cfg, cluster.tls);
  caf::actor_system sys{cfg};

  auto admin = kb::admin::spawn_admin(sys);
  kb::cluster::link_options link_opts;
  link_opts.host = args.supervisor_host.value_or(cluster.supervisor_host);
  link_opts.port = static_cast<uint16_t>(args.supervisor_port.value_or(cluster.supervisor_port));
  link_opts.tls = cluster.tls.enabled();
  link_opts.component = "admin";
  link_opts.on_connect = [admin](const caf::actor& supervisor) {
    caf::anon_send(supervisor, kb::atom::subscribe::value, admin);
  };
  kb::cluster::supervisor_link link{sys, link_opts};
  auto supervisor = link.proxy();

  kb::http_server_options http_opts;
  http_opts.threads = 32;
  kb::http_server server{http_opts};
  kb::set_api_error_handlers(server);
  auto watcher = kb::admin::serve_admin(
    server, sys, admin, supervisor, store,
    {conf.server.admin_token, args.config_dir, KB_WEB_DIST,
     conf.server.watch_config, host});

  port = kb::bind_http(server, host, port);
  if (port < 0) {
    std::cerr << "kiro-admin: cannot listen on " << host << ":"
              << args.port.value_or(conf.server.port + 1) << "\n";
    caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "kiro-admin listening on http://" << host << ":" << port
            << " supervisor=" << link_opts.host << ":" << link_opts.port << std::endl;
  KB_INFO("admin", "listening on " << host << ":" << port);

  kb::serve_until_terminated(server, conf.drain_timeout_ms, [](int sig) {
    KB_INFO("admin", "signal " << sig << ": stopping");
  });
  watcher.reset();
  link.stop();
  caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
  KB_INFO("admin", "stopped");
  return 0;
}
