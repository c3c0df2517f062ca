// kiro-bridge as a real process in front of kiro-sim over TLS: start-up
// contract, token rotation persisted atomically, graceful drain on SIGTERM.

#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/sim_process.hpp"

using namespace kb::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string bin_dir = KB_BIN_DIR;

/// kiro-sim over HTTPS with a fresh certificate and the given accounts.
struct tls_sim {
  temp_dir dir;
  tls_files tls;
  std::unique_ptr<sim_process> proc;

  explicit tls_sim(const json& accounts) {
    auto files = make_self_signed_cert(dir);
    REQUIRE(files);
    tls = *files;
    proc = std::make_unique<sim_process>(
      std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "--tls-port", "0",
                               "--cert", tls.cert, "--key", tls.key, "--accounts",
                               dir.file("accounts.json", accounts.dump())},
      dir.file("sim.log"));
    REQUIRE(proc->https_port() > 0);
  }

  std::string https_base() const {
    return "https://127.0.0.1:" + std::to_string(proc->https_port());
  }

  httplib::Client control() const {
    httplib::Client c{"127.0.0.1", proc->http_port()};
    c.set_read_timeout(10, 0);
    return c;
  }
};

json sim_account(const std::string& id) {
  return {{"id", id},
          {"accessToken", "access-" + id},
          {"refreshToken", "refresh-" + id},
          {"authMethod", "social"},
          {"profileArn", "arn:aws:codewhisperer:us-east-1:000000000000:profile/T"},
          {"accessTokenExpiresInSeconds", 3600},
          {"usageLimit", 500},
          {"currentUsage", 0}};
}

struct bridge_process {
  temp_dir dir;
  std::unique_ptr<child_process> proc;
  int port = 0;

  std::string config_dir() const { return dir.path(); }

  void write_config(const json& server, const std::optional<json>& accounts) {
    write_text(dir.file("server-config.json"), server.dump(2));
    if (accounts)
      write_text(dir.file("kiro-accounts.json"), accounts->dump(2));
  }

  bool start() {
    proc = std::make_unique<child_process>(
      std::vector<std::string>{bin_dir + "/kiro-bridge", "--config-dir",
                               dir.path(), "--port", "0", "--host", "127.0.0.1"},
      dir.file("bridge.log"));
    auto line = proc->wait_for_line("listening on", 15s);
    if (!line)
      return false;
    port = port_of(*line);
    return port > 0;
  }

  std::string log() const { return read_text(dir.file("bridge.log")); }

  httplib::Client client() const {
    httplib::Client c{"127.0.0.1", port};
    c.set_read_timeout(60, 0);
    return c;
  }
};

json server_config_for(const tls_sim& sim) {
  auto base = sim.https_base();
  return {{"host", "127.0.0.1"},
          {"workersPerAccount", 2},
          {"logLevel", "debug"},
          {"kiro",
           {{"apiBaseUrl", base},
            {"socialRefreshUrl", base + "/refreshToken"},
            {"idcRefreshUrl", base + "/token"},
            {"usageUrl", base},
            {"caFile", sim.tls.cert}}}};
}

json bridge_accounts(const std::vector<std::string>& ids, int64_t expires_at_ms) {
  json accounts = json::array();
  for (auto& id : ids)
    accounts.push_back({{"id", id},
                        {"email", id + "@example.com"},
                        {"nickname", "keep-me"},
                        {"customField", {{"nested", true}}},
                        {"credentials",
                         {{"accessToken", "access-" + id},
                          {"refreshToken", "refresh-" + id},
                          {"expiresAt", expires_at_ms},
                          {"authMethod", "social"}}},
                        {"priority", 0}});
  return {{"version", "1.0.0"}, {"accounts", accounts}, {"groups", json::array()},
          {"tags", json::array({"team"})}};
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

const std::string hello_body =
  R"({"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello there"}]})";

} // namespace

TEST_CASE("with no accounts file the bridge starts, creates it, and explains the error") {
  bridge_process bridge;
  bridge.write_config({{"host", "127.0.0.1"}}, std::nullopt);
  REQUIRE_MESSAGE(bridge.start(), bridge.log());
  auto created = json::parse(read_text(bridge.dir.file("kiro-accounts.json")));
  CHECK(created["accounts"].empty());
  // The start tells how to add an account and where the UI is.
  auto hint = bridge.proc->wait_for_line("accounts import", 5s);
  REQUIRE(hint);
  CHECK(hint->find("kiroctl --url http://127.0.0.1:") != std::string::npos);
  auto cli = bridge.client();
  auto res = cli.Post("/v1/messages", hello_body, "application/json");
  REQUIRE(res);
  // A 503 the SDKs and Claude Code do not retry, not a 529 they retry.
  CHECK(res->status == 503);
  CHECK(res->get_header_value("x-should-retry") == "false");
  CHECK(res->has_header("request-id"));
  auto body = json::parse(res->body);
  CHECK(body["type"] == "error");
  CHECK(body["error"]["type"] == "api_error");
  CHECK(body["error"]["message"].get<std::string>().find("no Kiro account is configured") !=
        std::string::npos);
  for (auto path : {"/api/health", "/health"}) {
    auto health = cli.Get(path);
    REQUIRE(health);
    CHECK(health->status == 200);
    auto h = json::parse(health->body);
    CHECK(h["status"] == "down");
    CHECK(h["reason"].get<std::string>().find("no Kiro account is configured") == 0);
  }
  auto metrics = cli.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("kiro_bridge_health_status{status=\"down\"} 1") != std::string::npos);
  // Nothing reached Kiro: no tokens, no upstream error; the bridge's own failure.
  CHECK(metrics->body.find("kiro_bridge_tokens_total{") == std::string::npos);
  CHECK(metrics->body.find("kiro_bridge_upstream_errors_total{") == std::string::npos);
  CHECK(metrics->body.find("kiro_bridge_service_errors_total{type=\"api_error\"} 1") !=
        std::string::npos);
  CHECK(bridge.proc->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("a port already in use stops the start with the reason and no listening line") {
  // Another server holds the port.
  httplib::Server holder;
  int taken = holder.bind_to_any_port("127.0.0.1");
  REQUIRE(taken > 0);
  bridge_process bridge;
  bridge.write_config({{"host", "127.0.0.1"}}, std::nullopt);
  bridge.proc = std::make_unique<child_process>(
    std::vector<std::string>{bin_dir + "/kiro-bridge", "--config-dir", bridge.dir.path(),
                             "--port", std::to_string(taken), "--host", "127.0.0.1"},
    bridge.dir.file("bridge.log"));
  // EOF on stdout without the line: the process ended.
  CHECK_FALSE(bridge.proc->wait_for_line("listening on", 15s));
  CHECK(bridge.proc->stop(SIGTERM, 10s) == 1);
  auto log = bridge.log();
  CHECK_MESSAGE(log.find("cannot listen on 127.0.0.1:" + std::to_string(taken) +
                         ": Address already in use") != std::string::npos,
                log);
}

TEST_CASE("a config value of the wrong type stops the start with the key named") {
  bridge_process bridge;
  bridge.write_config({{"port", "three thousand"}}, std::nullopt);
  child_process proc{{bin_dir + "/kiro-bridge", "--config-dir", bridge.config_dir()},
                     bridge.dir.file("bridge.log")};
  CHECK(proc.stop(0, 10s) == 1);
  CHECK(bridge.log().find("port") != std::string::npos);
}

TEST_CASE("a rotated refresh token is persisted and unknown fields survive") {
  tls_sim sim{json::array({sim_account("acct-1")})};
  bridge_process bridge;
  bridge.write_config(server_config_for(sim), bridge_accounts({"acct-1"}, 0));
  REQUIRE_MESSAGE(bridge.start(), bridge.log());
  // The file said the token expired long ago: the bridge refreshes at once.
  json file;
  for (int i = 0; i < 100; ++i) {
    file = json::parse(read_text(bridge.dir.file("kiro-accounts.json")));
    if (file["accounts"][0]["credentials"]["accessToken"] != "access-acct-1")
      break;
    std::this_thread::sleep_for(100ms);
  }
  auto& acct = file["accounts"][0];
  CHECK(acct["credentials"]["accessToken"] != "access-acct-1");
  CHECK(acct["credentials"]["expiresAt"].is_number());
  CHECK(acct["credentials"]["expiresAt"].get<int64_t>() > now_ms());
  CHECK(acct["nickname"] == "keep-me");
  CHECK(acct["customField"]["nested"] == true);
  CHECK(file["tags"] == json::array({"team"}));
  auto res = bridge.client().Post("/v1/messages", hello_body, "application/json");
  REQUIRE(res);
  CHECK_MESSAGE(res->status == 200, res->body);
  CHECK(bridge.log().find("access-acct-1") == std::string::npos);
  CHECK(bridge.log().find("refresh-acct-1") == std::string::npos);
  CHECK(bridge.proc->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("SIGTERM lets an in-flight stream finish, then the bridge exits 0") {
  tls_sim sim{json::array({sim_account("acct-1")})};
  auto ctl = sim.control();
  json script = {{"match", json::object()},
                 {"times", 1},
                 {"response",
                  {{"kind", "text"},
                   {"text", "one two three four five six seven eight"},
                   {"chunks", 8},
                   {"chunkDelayMs", 250}}}};
  REQUIRE(ctl.Post("/__sim/script", script.dump(), "application/json"));
  bridge_process bridge;
  bridge.write_config(server_config_for(sim),
                      bridge_accounts({"acct-1"}, now_ms() + 3'600'000));
  REQUIRE_MESSAGE(bridge.start(), bridge.log());
  std::string streamed;
  std::thread client{[&] {
    auto cli = bridge.client();
    auto body = json::parse(hello_body);
    body["stream"] = true;
    httplib::Request req;
    auto res = cli.Post("/v1/messages", body.dump(), "application/json");
    if (res)
      streamed = res->body;
  }};
  std::this_thread::sleep_for(700ms);
  auto exit_code = bridge.proc->stop(SIGTERM, 20s);
  client.join();
  CHECK(exit_code == 0);
  CHECK(streamed.find("event: message_stop") != std::string::npos);
  CHECK(streamed.find("eight") != std::string::npos);
}
