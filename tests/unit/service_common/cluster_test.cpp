// The split-mode supervisor link: backoff, the stand-in proxy's answers with
// and without a supervisor, and a real reconnect over loopback BASP.

#include <doctest/doctest.h>

#include <chrono>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "proto/message_types.hpp"
#include "services/common/cluster.hpp"
#include "services/common/daemon_args.hpp"

using namespace std::chrono_literals;
using kb::cluster::backoff_delay;
using kb::cluster::backoff_policy;

namespace {

caf::actor_system_config& cluster_config(caf::actor_system_config& cfg) {
  kb::cluster::configure_daemon_system(cfg);
  return cfg;
}

struct node {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  node() : sys(cluster_config(cfg)) {}
};

/// A stand-in supervisor: answers (get, accounts) with one account named
/// `id`, and finishes every generate at once with (done, request id, [], id).
caf::behavior fake_supervisor(caf::event_based_actor*, std::string id) {
  return {
    [id](caf::get_atom, kb::atom::accounts) {
      kb::account_status a;
      a.id = id;
      a.state = "active";
      return std::vector<kb::account_status>{a};
    },
    [id](kb::atom::generate, kb::conversation& conv, caf::actor& sink) {
      caf::anon_send(sink, kb::atom::done::value, conv.request_id,
                     std::vector<kb::stream_event>{}, id);
    },
  };
}

/// Takes generate calls and never answers them.
caf::behavior silent_supervisor(caf::event_based_actor*) {
  return {[](kb::atom::generate, kb::conversation&, caf::actor&) {}};
}

/// What a sink receives within `timeout`: "done:<account>", "failed:<type>:<message>",
/// or "timeout".
std::string next_reply(caf::scoped_actor& sink, std::chrono::milliseconds timeout) {
  std::string out = "timeout";
  sink->receive(
    [&](kb::atom::done, const std::string&, const std::vector<kb::stream_event>&,
        const std::string& account) {
      out = "done:" + account;
    },
    [&](kb::atom::failed, const std::string&, const kb::api_error& e) {
      out = "failed:" + std::string{e.type()} + ":" + e.message;
    },
    caf::after(timeout) >> [] {});
  return out;
}

std::optional<std::string> first_account_id(caf::actor_system& sys, const caf::actor& to,
                                            std::string* error = nullptr) {
  std::optional<std::string> out;
  caf::scoped_actor self{sys};
  self->request(to, 2s, caf::get_atom::value, kb::atom::accounts::value)
    .receive(
      [&](std::vector<kb::account_status>& xs) {
        out = xs.empty() ? std::string{} : xs.front().id;
      },
      [&](caf::error& e) {
        if (error)
          *error = sys.render(e);
      });
  return out;
}

void send_generate(caf::scoped_actor& sink, const caf::actor& to) {
  kb::conversation conv;
  conv.model = "claude-sonnet-4-5";
  sink->send(to, kb::atom::generate::value, std::move(conv),
             caf::actor_cast<caf::actor>(sink));
}

} // namespace

TEST_CASE("reconnect backoff doubles from the initial pause up to the cap") {
  backoff_policy p{100ms, 2000ms};
  CHECK(backoff_delay(p, 0) == 100ms);
  CHECK(backoff_delay(p, 1) == 200ms);
  CHECK(backoff_delay(p, 2) == 400ms);
  CHECK(backoff_delay(p, 4) == 1600ms);
  CHECK(backoff_delay(p, 5) == 2000ms);
  CHECK(backoff_delay(p, 1000) == 2000ms);
  CHECK(backoff_delay(p, -3) == 100ms);
}

TEST_CASE("a backoff cap below the initial pause keeps the initial pause") {
  backoff_policy p{500ms, 10ms};
  CHECK(backoff_delay(p, 0) == 500ms);
  CHECK(backoff_delay(p, 3) == 500ms);
}

TEST_CASE("with no supervisor a generate call fails at once with overloaded_error") {
  node n;
  auto slot = std::make_shared<kb::cluster::supervisor_slot>();
  auto proxy = kb::cluster::spawn_supervisor_proxy(n.sys, slot);
  caf::scoped_actor sink{n.sys};
  send_generate(sink, proxy);
  CHECK(next_reply(sink, 2s) ==
        "failed:overloaded_error:no account supervisor is reachable right now; retry shortly");
  CHECK(kb::cluster::no_supervisor_error().status() == 529);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("with no supervisor a request gets an error instead of waiting") {
  node n;
  auto slot = std::make_shared<kb::cluster::supervisor_slot>();
  auto proxy = kb::cluster::spawn_supervisor_proxy(n.sys, slot);
  std::string error;
  auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(first_account_id(n.sys, proxy, &error).has_value());
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  CHECK(error.find("cannot_connect_to_node") != std::string::npos);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("the proxy forwards requests and generate calls to the current supervisor") {
  node n;
  auto slot = std::make_shared<kb::cluster::supervisor_slot>();
  auto proxy = kb::cluster::spawn_supervisor_proxy(n.sys, slot);
  auto first = n.sys.spawn(fake_supervisor, std::string{"acct-one"});
  auto second = n.sys.spawn(fake_supervisor, std::string{"acct-two"});
  slot->set(first);
  CHECK(first_account_id(n.sys, proxy) == std::optional<std::string>{"acct-one"});
  caf::scoped_actor sink{n.sys};
  send_generate(sink, proxy);
  CHECK(next_reply(sink, 2s) == "done:acct-one");
  slot->set(second);
  CHECK(first_account_id(n.sys, proxy) == std::optional<std::string>{"acct-two"});
  send_generate(sink, proxy);
  CHECK(next_reply(sink, 2s) == "done:acct-two");
  for (auto& a : {proxy, first, second})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("a call in flight when its supervisor dies fails with overloaded_error") {
  node n;
  auto slot = std::make_shared<kb::cluster::supervisor_slot>();
  auto proxy = kb::cluster::spawn_supervisor_proxy(n.sys, slot);
  auto sup = n.sys.spawn(silent_supervisor);
  slot->set(sup);
  caf::scoped_actor sink{n.sys};
  send_generate(sink, proxy);
  CHECK(next_reply(sink, 300ms) == "timeout");
  slot->clear();
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  CHECK(next_reply(sink, 2s) ==
        "failed:overloaded_error:no account supervisor is reachable right now; retry shortly");
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("the link reconnects over loopback when the supervisor's node restarts") {
  node gateway_node;
  auto published_port = [](node& n, const caf::actor& sup, uint16_t port) {
    auto p = n.sys.middleman().publish(sup, port, "127.0.0.1", true);
    REQUIRE(p);
    return *p;
  };
  uint16_t port = 0;
  kb::cluster::link_options opts;
  opts.host = "127.0.0.1";
  opts.backoff = {20ms, 100ms};
  std::atomic<int> connects{0};
  opts.on_connect = [&](const caf::actor&) { ++connects; };
  std::unique_ptr<kb::cluster::supervisor_link> link;
  {
    node first;
    auto sup = first.sys.spawn(fake_supervisor, std::string{"before"});
    port = published_port(first, sup, 0);
    opts.port = port;
    link = std::make_unique<kb::cluster::supervisor_link>(gateway_node.sys, opts);
    REQUIRE(link->wait_connected(5s));
    CHECK(first_account_id(gateway_node.sys, link->proxy()) ==
          std::optional<std::string>{"before"});
    // Close the port first: a link that saw the supervisor end could
    // otherwise connect once more to the node that is shutting down.
    REQUIRE(first.sys.middleman().unpublish(sup, port));
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  } // the first supervisor's node shuts down: the connection closes
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (link->connected() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK_FALSE(link->connected());
  caf::scoped_actor sink{gateway_node.sys};
  send_generate(sink, link->proxy());
  CHECK(next_reply(sink, 2s).rfind("failed:overloaded_error:", 0) == 0);

  node second;
  auto sup = second.sys.spawn(fake_supervisor, std::string{"after"});
  CHECK(published_port(second, sup, port) == port);
  REQUIRE(link->wait_connected(5s));
  CHECK(first_account_id(gateway_node.sys, link->proxy()) ==
        std::optional<std::string>{"after"});
  send_generate(sink, link->proxy());
  CHECK(next_reply(sink, 2s) == "done:after");
  CHECK(link->connections() == 2);
  CHECK(connects.load() == 2);
  link->stop();
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE("daemon flags are parsed and a foreign or malformed flag is an error") {
  auto ok = kb::parse_daemon_args({"--config-dir", "/etc/kb", "--port", "0",
                                   "--supervisor-port", "4200"},
                                  {"port", "supervisor-port"});
  REQUIRE(std::holds_alternative<kb::daemon_args>(ok));
  auto& a = std::get<kb::daemon_args>(ok);
  CHECK(a.config_dir == "/etc/kb");
  CHECK(a.port == std::optional<int>{0});
  CHECK(a.supervisor_port == std::optional<int>{4200});
  CHECK_FALSE(a.health_port.has_value());

  auto foreign = kb::parse_daemon_args({"--health-port", "1"}, {"port"});
  REQUIRE(std::holds_alternative<std::string>(foreign));
  CHECK(std::get<std::string>(foreign) == "unknown flag --health-port");

  auto bad = kb::parse_daemon_args({"--port", "70000"}, {"port"});
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad) == "--port needs a port number (0-65535), got '70000'");

  auto missing = kb::parse_daemon_args({"--port"}, {"port"});
  REQUIRE(std::holds_alternative<std::string>(missing));
  CHECK(std::get<std::string>(missing) == "--port needs a value");
}
