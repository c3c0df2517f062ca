// Models end to end through kiro-bridge and kiro-sim (issue 14 rules 5, 9,
// 12): each account's ListAvailableModels decides where a request goes (an
// Opus request skips the FREE account), its tokenLimits give the window the
// reply's input_tokens is computed with, and /v1/models lists what the pool
// serves even when the mapping has only `default`.

#include <doctest/doctest.h>

#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/sim_process.hpp"

using namespace kb::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

json bridge_account(const std::string& id, int priority) {
  return {{"id", id},
          {"priority", priority},
          {"credentials",
           {{"accessToken", "access-" + id},
            {"refreshToken", "refresh-" + id},
            {"expiresAt", epoch_ms() + 3'600'000},
            {"authMethod", "social"}}}};
}

/// kiro-sim with a FREE and a PRO account; kiro-bridge prefers the FREE one
/// (`first`, priority 0) and maps nothing but `default`.
struct stack {
  temp_dir dir;
  std::unique_ptr<sim_process> sim;
  std::unique_ptr<child_process> bridge;
  int port = 0;

  stack() {
    json sim_accounts = json::array(
      {{{"id", "free"}, {"accessToken", "access-free"}, {"refreshToken", "refresh-free"},
        {"authMethod", "social"}, {"subscription", "KIRO FREE"}},
       {{"id", "pro"}, {"accessToken", "access-pro"}, {"refreshToken", "refresh-pro"},
        {"authMethod", "social"}, {"subscription", "KIRO PRO"}}});
    sim = std::make_unique<sim_process>(
      std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "--accounts",
                               dir.file("sim-accounts.json", sim_accounts.dump())},
      dir.file("sim.log"));
    std::string base = "http://127.0.0.1:" + std::to_string(sim->http_port());
    json server = {{"host", "127.0.0.1"},
                   {"strategy", "first"},
                   {"workersPerAccount", 2},
                   {"kiro",
                    {{"apiBaseUrl", base},
                     {"socialRefreshUrl", base + "/refreshToken"},
                     {"idcRefreshUrl", base + "/token"},
                     {"usageUrl", base}}}};
    json accounts = {{"version", "1.0.0"},
                     {"accounts", json::array({bridge_account("free", 0),
                                               bridge_account("pro", 1)})}};
    write_text(dir.file("server-config.json"), server.dump(2));
    write_text(dir.file("kiro-accounts.json"), accounts.dump(2));
    write_text(dir.file("model-mapping.json"), R"({"default": "claude-sonnet-4.5"})");
    bridge = std::make_unique<child_process>(
      std::vector<std::string>{std::string{KB_BIN_DIR} + "/kiro-bridge", "--config-dir",
                               dir.path(), "--port", "0", "--host", "127.0.0.1"},
      dir.file("bridge.log"));
    if (auto line = bridge->wait_for_line("listening on", 15s))
      port = port_of(*line);
    REQUIRE_MESSAGE(port > 0, read_text(dir.file("bridge.log")));
  }

  ~stack() {
    if (bridge)
      bridge->stop(SIGTERM, 10s);
  }

  json models() {
    httplib::Client cli{"127.0.0.1", port};
    auto res = cli.Get("/v1/models?limit=1000");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return json::parse(res->body);
  }

  /// /v1/models once both accounts' model lists have reached the bridge
  /// (they are read when the bridge starts).
  json models_once_listed() {
    for (int i = 0; i < 100; ++i) {
      auto page = models();
      for (auto& m : page["data"])
        if (m["id"] == "claude-opus-4-7" && m.contains("max_input_tokens"))
          return page;
      std::this_thread::sleep_for(100ms);
    }
    FAIL_CHECK("/v1/models never listed claude-opus-4-7: " << models().dump());
    return models();
  }

  httplib::Result post(const json& body) {
    httplib::Client cli{"127.0.0.1", port};
    cli.set_read_timeout(60, 0);
    return cli.Post("/v1/messages", body.dump(), "application/json");
  }

  /// The accounts kiro-sim saw chat calls from, oldest first.
  std::vector<std::string> chat_accounts() {
    httplib::Client cli{"127.0.0.1", sim->http_port()};
    auto res = cli.Get("/__sim/requests?endpoint=generateAssistantResponse");
    REQUIRE(res);
    std::vector<std::string> out;
    auto log = json::parse(res->body);
    for (auto& r : log["requests"])
      out.push_back(r["accountId"].get<std::string>());
    return out;
  }
};

json request(const std::string& model) {
  std::string prompt;
  for (int i = 0; i < 400; ++i)
    prompt += "Line " + std::to_string(i) + " of a long file the user pasted in. ";
  return {{"model", model},
          {"max_tokens", 256},
          {"messages", json::array({{{"role", "user"}, {"content", prompt}}})}};
}

} // namespace

TEST_CASE("with only a default mapping /v1/models lists the served models with Kiro's limits") {
  stack s;
  auto page = s.models_once_listed();
  std::map<std::string, json> by_id;
  for (auto& m : page["data"])
    by_id[m["id"].get<std::string>()] = m;
  REQUIRE(by_id.count("claude-opus-4-7"));
  CHECK(by_id["claude-opus-4-7"]["max_input_tokens"] == 1000000);
  CHECK(by_id["claude-opus-4-7"]["type"] == "model");
  REQUIRE(by_id.count("claude-opus-4-8"));
  CHECK(by_id["claude-opus-4-8"]["max_tokens"] == 128000);
  REQUIRE(by_id.count("claude-sonnet-4-5"));
  CHECK(by_id["claude-sonnet-4-5"]["max_input_tokens"] == 200000);
  httplib::Client cli{"127.0.0.1", s.port};
  auto one = cli.Get("/v1/models/claude-opus-4-7");
  REQUIRE(one);
  CHECK(one->status == 200);
}

TEST_CASE("an opus request skips the FREE account and counts input tokens in the 1M window") {
  stack s;
  s.models_once_listed();
  auto sonnet = s.post(request("claude-sonnet-4-5"));
  REQUIRE(sonnet);
  REQUIRE_MESSAGE(sonnet->status == 200, sonnet->body);
  auto opus = s.post(request("claude-opus-4-7"));
  REQUIRE(opus);
  REQUIRE_MESSAGE(opus->status == 200, opus->body);
  auto accounts = s.chat_accounts();
  const std::vector<std::string> expected{"free", "pro"};
  std::string seen = json(accounts).dump();
  CHECK_MESSAGE(accounts == expected, "chat calls came from " << seen);
  auto sonnet_in = json::parse(sonnet->body)["usage"]["input_tokens"].get<int64_t>();
  auto opus_in = json::parse(opus->body)["usage"]["input_tokens"].get<int64_t>();
  // kiro-sim measures the same prompt against 200K for sonnet 4.5 and 1M for
  // opus 4.7: the same token count comes back only with the right window.
  CHECK(sonnet_in > 1000);
  CHECK(opus_in == doctest::Approx(static_cast<double>(sonnet_in)).epsilon(0.01));
}
