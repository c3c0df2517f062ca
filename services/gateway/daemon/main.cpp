// kiro-gateway: the Claude API of kiro-bridge as its own daemon (split
// mode). Reaches kiro-supervisor at cluster.supervisorHost:supervisorPort
// and reconnects with backoff when it restarts; meanwhile Claude requests
// get 529 overloaded_error at once. GET /api/health tells whether a
// supervisor is connected. SIGTERM drains in-flight streams, then exit 0.

#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "proto/message_types.hpp"
#include "services/admin/config_watcher.hpp"
#include "services/common/cluster.hpp"
#include "services/common/daemon_args.hpp"
#include "services/common/http_server.hpp"
#include "services/common/log.hpp"
#include "services/common/service_config.hpp"
#include "services/gateway/gateway_setup.hpp"

namespace {

const std::vector<std::string> accepted_flags = {"host", "port", "supervisor-host",
                                                 "supervisor-port", "cluster-ca"};

void serve_health(kb::http_server& server, const kb::cluster::supervisor_link& link,
                  const kb::gw::gateway& gateway) {
  server.Get("/api/health", [&link, &gateway](const httplib::Request&,
                                              httplib::Response& res) {
    nlohmann::json body = {{"status", "ok"},
                           {"role", "gateway"},
                           {"supervisor", link.connected() ? "connected" : "disconnected"},
                           {"inFlight", gateway.in_flight()}};
    res.status = 200;
    res.set_content(body.dump(), "application/json");
  });
}

} // namespace

int main(int argc, char** argv) {
  auto started = kb::start_daemon(argc, argv, "kiro-gateway", accepted_flags, "gateway");
  if (auto* code = std::get_if<int>(&started))
    return *code;
  auto& [args, conf] = std::get<kb::daemon_start>(started);
  auto& cluster = conf.server.cluster;
  conf.server.host = args.host.value_or(conf.server.host);
  conf.server.port = args.port.value_or(cluster.gateway_port.value_or(conf.server.port));

  if (auto problem = kb::cluster::tls_problem(cluster.tls); !problem.empty()) {
    std::cerr << "kiro-gateway: " << problem << "\n";
    return 1;
  }
  caf::actor_system_config cfg;
  kb::cluster::configure_daemon_system(cfg, cluster.tls);
  caf::actor_system sys{cfg};

  kb::cluster::link_options link_opts;
  link_opts.host = args.supervisor_host.value_or(cluster.supervisor_host);
  link_opts.port = static_cast<uint16_t>(args.supervisor_port.value_or(cluster.supervisor_port));
  link_opts.tls = cluster.tls.enabled();
  link_opts.component = "gateway";
  kb::cluster::supervisor_link link{sys, link_opts};
  kb::gw::gateway gateway{sys, link.proxy(), kb::gw::make_gateway_settings(conf)};

  kb::http_server server{kb::gw::make_http_server_options(conf)};
  kb::set_api_error_handlers(server);
  gateway.register_routes(server);
  serve_health(server, link, gateway);

  // A gateway keeps its own copy of apiKeys and the model mapping. Edits
  // through kiro-admin (another process) reach it only through the files, so
  // it always follows them, watchConfig or not; the supervisor reloads its
  // own keys when told.
  auto watcher = std::make_unique<kb::admin::config_watcher>(
    args.config_dir, std::vector<std::string>{"server-config.json", "model-mapping.json"},
    std::chrono::milliseconds(500), [&gateway, dir = args.config_dir] {
      auto next = kb::load_service_config(dir);
      if (!next) {
        KB_WARN("gateway", "config files changed but are not valid: " << next.error);
        return;
      }
      gateway.update(kb::gw::make_gateway_settings(*next.value));
      KB_INFO("gateway", "config files changed: settings reloaded");
    });
  if (!watcher->active())
    KB_WARN("gateway", "cannot watch " << args.config_dir
                                       << ": apiKeys and model mapping edits need a restart");

  int port = kb::bind_http(server, conf.server.host, conf.server.port);
  if (port < 0) {
    std::cerr << "kiro-gateway: cannot listen on " << conf.server.host << ":"
              << conf.server.port << "\n";
    return 1;
  }
  std::cout << "kiro-gateway listening on http://" << conf.server.host << ":" << port
            << " supervisor=" << link_opts.host << ":" << link_opts.port << std::endl;
  KB_INFO("gateway", "listening on " << conf.server.host << ":" << port);

  kb::serve_until_terminated(server, conf.drain_timeout_ms, [&gateway](int sig) {
    KB_INFO("gateway", "signal " << sig << ": draining " << gateway.in_flight()
                                 << " request(s)");
  });
  watcher.reset();
  link.stop();
  KB_INFO("gateway", "stopped");
  return 0;
}
