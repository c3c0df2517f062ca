// Kiro's account kinds end to end (issue 14 rules 3 and 4): an enterprise
// IdC account sends its profileArn (and fetches it with
// ListAvailableProfiles when the file has none), a Builder ID account never
// sends one, and an unrecognised 403 fails over and parks the account in
// `error` with Kiro's message.

#include <doctest/doctest.h>

#include <functional>
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

constexpr std::string_view enterprise_arn =
  "arn:aws:codewhisperer:us-east-1:111122223333:profile/SIMent-1";

/// One kiro-sim account and the bridge's record of it.
struct account_pair {
  json sim;
  json bridge;
};

account_pair social(const std::string& id) {
  return {{{"id", id}, {"accessToken", "access-" + id}, {"refreshToken", "refresh-" + id},
           {"authMethod", "social"}},
          {{"id", id},
           {"credentials",
            {{"accessToken", "access-" + id},
             {"refreshToken", "refresh-" + id},
             {"expiresAt", epoch_ms() + 3'600'000},
             {"authMethod", "social"}}}}};
}

/// An IdC account; `provider` "Enterprise" or "BuilderId" as the Kiro IDE
/// writes it; `bridge_arn` the profileArn in the bridge's file ("" = none).
account_pair idc(const std::string& id, const std::string& provider, const std::string& bridge_arn) {
  account_pair p{{{"id", id},
                  {"accessToken", "access-" + id},
                  {"refreshToken", "refresh-" + id},
                  {"authMethod", "IdC"},
                  {"provider", provider},
                  {"clientId", "client-" + id},
                  {"clientSecret", "secret-" + id}},
                 {{"id", id},
                  {"credentials",
                   {{"accessToken", "access-" + id},
                    {"refreshToken", "refresh-" + id},
                    {"clientId", "client-" + id},
                    {"clientSecret", "secret-" + id},
                    {"expiresAt", epoch_ms() + 3'600'000},
                    {"authMethod", "IdC"},
                    {"provider", provider}}}}};
  if (!bridge_arn.empty())
    p.bridge["credentials"]["profileArn"] = bridge_arn;
  return p;
}

struct stack {
  temp_dir dir;
  std::unique_ptr<sim_process> sim;
  std::unique_ptr<child_process> bridge;
  int port = 0;

  explicit stack(const std::vector<account_pair>& accounts) {
    json sim_accounts = json::array();
    json bridge_accounts = json::array();
    for (auto& a : accounts) {
      sim_accounts.push_back(a.sim);
      bridge_accounts.push_back(a.bridge);
    }
    sim = std::make_unique<sim_process>(
      std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "--accounts",
                               dir.file("sim-accounts.json", sim_accounts.dump())},
      dir.file("sim.log"));
    std::string base = "http://127.0.0.1:" + std::to_string(sim->http_port());
    json server = {{"host", "127.0.0.1"},
                   {"workersPerAccount", 1},
                   {"strategy", "first"},
                   {"kiro",
                    {{"apiBaseUrl", base},
                     {"socialRefreshUrl", base + "/refreshToken"},
                     {"idcRefreshUrl", base + "/token"},
                     {"usageUrl", base}}}};
    write_text(dir.file("server-config.json"), server.dump(2));
    write_text(dir.file("kiro-accounts.json"),
               json{{"version", "1.0.0"}, {"accounts", bridge_accounts}}.dump(2));
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

  httplib::Result ask(const std::string& text) {
    httplib::Client cli{"127.0.0.1", port};
    cli.set_read_timeout(60, 0);
    json body = {{"model", "claude-sonnet-4-5"},
                 {"max_tokens", 64},
                 {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
    return cli.Post("/v1/messages", body.dump(), "application/json");
  }

  json recorded(const std::string& endpoint) {
    httplib::Client cli{"127.0.0.1", sim->http_port()};
    auto res = cli.Get("/__sim/requests?endpoint=" + endpoint);
    REQUIRE(res);
    return json::parse(res->body)["requests"];
  }

  void script(const json& entry) {
    httplib::Client cli{"127.0.0.1", sim->http_port()};
    auto res = cli.Post("/__sim/script", entry.dump(), "application/json");
    REQUIRE(res);
    REQUIRE_MESSAGE(res->status == 200, res->body);
  }

  /// The bridge's accounts file once `done` holds for the account `id`
  /// (the supervisor saves on its next tick), or the last one read.
  json account_record(const std::string& id, const std::function<bool(const json&)>& done) {
    json last;
    for (int i = 0; i < 100; ++i) {
      auto file = json::parse(read_text(dir.file("kiro-accounts.json")));
      for (auto& a : file["accounts"])
        if (a["id"] == id)
          last = a;
      if (!last.is_null() && done(last))
        break;
      std::this_thread::sleep_for(100ms);
    }
    return last;
  }
};

/// The body Kiro received (kiro-sim masks secrets, not the ARN).
json body_of(const json& record) {
  return record["body"];
}

} // namespace

TEST_CASE("an enterprise IdC account sends its profileArn and a Builder ID account never does") {
  stack s{{idc("ent-1", "Enterprise", std::string{enterprise_arn}),
           idc("bid-1", "BuilderId", "arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX")}};
  auto first = s.ask("Hello enterprise");
  REQUIRE(first);
  CHECK_MESSAGE(first->status == 200, first->body);
  // Take the enterprise account out of rotation: the next request goes to Builder ID.
  s.script({{"match", {{"account", "ent-1"}}}, {"times", -1}, {"response", {{"kind", "throttle"}}}});
  auto second = s.ask("Hello builder");
  REQUIRE(second);
  CHECK_MESSAGE(second->status == 200, second->body);

  auto chats = s.recorded("generateAssistantResponse");
  REQUIRE(chats.size() >= 2);
  CHECK(chats[0]["accountId"] == "ent-1");
  CHECK(chats[0]["verdict"] == "accepted");
  CHECK(body_of(chats[0])["profileArn"] == enterprise_arn);
  auto last = chats.back();
  CHECK(last["accountId"] == "bid-1");
  CHECK(last["verdict"] == "accepted");
  CHECK_FALSE(body_of(last).contains("profileArn"));
}

TEST_CASE("an enterprise IdC account without a profileArn fetches it and keeps it") {
  stack s{{idc("ent-1", "Enterprise", "")}};
  auto res = s.ask("Hello enterprise");
  REQUIRE(res);
  CHECK_MESSAGE(res->status == 200, res->body);
  auto chats = s.recorded("generateAssistantResponse");
  REQUIRE(chats.size() == 2);
  CHECK(chats[0]["reason"] == "profile_arn_missing");
  CHECK(chats[1]["verdict"] == "accepted");
  CHECK(body_of(chats[1])["profileArn"] == enterprise_arn);
  CHECK(s.recorded("ListAvailableProfiles").size() == 1);
  auto rec = s.account_record("ent-1", [](const json& a) {
    return a["credentials"].contains("profileArn");
  });
  CHECK(rec["credentials"]["profileArn"] == enterprise_arn);
  CHECK(rec["credentials"]["provider"] == "Enterprise"); // the file keeps its shape
}

TEST_CASE("an unrecognised 403 fails over and marks the account error with Kiro's message") {
  stack s{{social("acct-1"), social("acct-2")}};
  s.script({{"match", {{"account", "acct-1"}}},
            {"times", -1},
            {"response", {{"kind", "access_denied"},
                          {"message", "User is not authorized to access this feature."}}}});
  auto res = s.ask("Hello");
  REQUIRE(res);
  CHECK_MESSAGE(res->status == 200, res->body);
  auto chats = s.recorded("generateAssistantResponse");
  REQUIRE(chats.size() == 2);
  CHECK(chats[0]["accountId"] == "acct-1");
  CHECK(chats[0]["status"] == 403);
  CHECK(chats[1]["accountId"] == "acct-2");
  auto rec = s.account_record("acct-1", [](const json& a) { return a.value("status", "") == "error"; });
  CHECK(rec["status"] == "error");
  CHECK(rec["lastError"].get<std::string>().find("User is not authorized to access this feature.") !=
        std::string::npos);
  // Out of rotation: the next request goes straight to acct-2.
  auto again = s.ask("Hello again");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(s.recorded("generateAssistantResponse").size() == 3);
}
