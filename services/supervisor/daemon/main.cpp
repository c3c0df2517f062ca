// kiro-supervisor: the account supervisor of kiro-bridge as its own daemon
// (split mode). Publishes the supervisor actor on cluster.supervisorPort for
// kiro-gateway and kiro-admin (BASP over TCP, on cluster.bindHost: loopback
// unless configured; mutual TLS with cluster.tls; every connection behind
// the BASP frame guard), and
// answers GET /api/health on its own small HTTP port. SIGTERM: wait for the
// upstream calls in flight (up to the drain timeout), then exit 0.

#include <chrono>
#include <iostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "proto/message_types.hpp"
#include "services/common/cluster.hpp"
#include "services/common/daemon_args.hpp"
#include "services/common/guarded_publish.hpp"
#include "services/common/http_server.hpp"
#include "services/common/log.hpp"
#include "services/common/service_config.hpp"
#include "services/supervisor/supervisor_setup.hpp"

namespace {

const std::vector<std::string> accepted_flags = {"bind", "supervisor-port", "health-port", "cluster-ca"};

/// The supervisor's accounts, or nullopt when it does not answer in time.
std::optional<std::vector<kb::account_status>> accounts_of(caf::actor_system& sys,
                                                           const caf::actor& sup) {
  std::optional<std::vector<kb::account_status>> out;
  caf::scoped_actor self{sys};
  self->request(sup, std::chrono::seconds(2), caf::get_atom::value, kb::atom::accounts::value)
    .receive([&](std::vector<kb::account_status>& xs) { out = std::move(xs); },
             [](caf::error&) {});
  return out;
}

int in_flight(const std::vector<kb::account_status>& accounts) {
  int n = 0;
  for (auto& a : accounts)
    n += a.in_flight;
  return n;
}

/// Waits until no upstream call is in flight, or `limit` has passed.
void drain(caf::actor_system& sys, const caf::actor& sup, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto accounts = accounts_of(sys, sup);
    if (!accounts || in_flight(*accounts) == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  KB_WARN("supervisor", "drain timeout reached with calls still in flight");
}

void serve_health(kb::http_server& server, caf::actor_system& sys, caf::actor sup) {
  server.Get("/api/health", [&sys, sup](const httplib::Request&, httplib::Response& res) {
    auto accounts = accounts_of(sys, sup);
    nlohmann::json body = {{"role", "supervisor"}};
    if (!accounts) {
      body["status"] = "unavailable";
      res.status = 503;
    } else {
      nlohmann::json by_state = nlohmann::json::object();
      for (auto& a : *accounts)
        by_state[a.state] = by_state.value(a.state, 0) + 1;
      body["status"] = "ok";
      body["accounts"] = {{"total", accounts->size()}, {"byState", by_state}};
      body["inFlight"] = in_flight(*accounts);
      res.status = 200;
    }
    res.set_content(body.dump(), "application/json");
  });
}

} // namespace

int main(int argc, char** argv) {
  auto started = kb::start_daemon(argc, argv, "kiro-supervisor", accepted_flags, "supervisor");
  if (auto* code = std::get_if<int>(&started))
    return *code;
  auto& [args, conf] = std::get<kb::daemon_start>(started);
  auto& cluster = conf.server.cluster;
  auto bind = args.bind.value_or(cluster.bind_host);
  int port = args.supervisor_port.value_or(cluster.supervisor_port);
  if (auto problem = kb::cluster::tls_problem(cluster.tls); !problem.empty()) {
    std::cerr << "kiro-supervisor: " << problem << "\n";
    return 1;
  }
  if (!cluster.tls.enabled() && !kb::cluster::is_loopback(bind))
    KB_WARN("supervisor", "the inter-daemon port binds to " << bind
                            << " without cluster.tls: anyone who reaches it can use the "
                               "account pool; keep it on a private network or set cluster.tls");

  caf::actor_system_config cfg;
  kb::cluster::configure_daemon_system(cfg, cluster.tls);
  caf::actor_system sys{cfg};

  auto supervisor = kb::sup::spawn_supervisor(sys, kb::sup::make_supervisor_config(conf));
  kb::cluster::publish_options publish;
  publish.address = bind;
  publish.port = static_cast<uint16_t>(port);
  publish.limits.after_handshake = static_cast<uint32_t>(cluster.max_message_bytes);
  publish.tls = cluster.tls.enabled();
  auto published = kb::cluster::publish_guarded(sys, supervisor, publish);
  if (!published) {
    std::cerr << "kiro-supervisor: cannot publish on " << bind << ":" << port << ": "
              << sys.render(published.error()) << "\n";
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    return 1;
  }
  port = *published;

  kb::http_server_options health_opts;
  health_opts.threads = 4;
  kb::http_server health{health_opts};
  kb::set_api_error_handlers(health);
  serve_health(health, sys, supervisor);
  int health_port = args.health_port.value_or(port + 1 > 65535 ? 0 : port + 1);
  health_port = kb::bind_http(health, bind, health_port);
  if (health_port < 0) {
    std::cerr << "kiro-supervisor: cannot listen on " << bind << ":"
              << args.health_port.value_or(port + 1) << " (health)\n";
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "kiro-supervisor listening cluster=" << bind << ":" << port
            << " health=http://" << bind << ":" << health_port
            << " tls=" << (publish.tls ? "on" : "off") << std::endl;
  KB_INFO("supervisor", "published on " << bind << ":" << port << ", health on "
                                        << health_port << ", config " << args.config_dir);

  kb::serve_until_terminated(health, conf.drain_timeout_ms, [&](int sig) {
    KB_INFO("supervisor", "signal " << sig << ": draining");
    drain(sys, supervisor, std::chrono::milliseconds(conf.drain_timeout_ms));
  });
  sys.middleman().unpublish(supervisor, static_cast<uint16_t>(port));
  caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
  KB_INFO("supervisor", "stopped");
  return 0;
}
