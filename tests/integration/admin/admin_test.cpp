// The admin REST API and kiroctl against a real kiro-bridge in front of
// kiro-sim: auth refusals, masking, model mapping CRUD (concurrent too),
// account management, log tails, hot reload, metrics, file watching.

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include <sys/wait.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "services/admin/access.hpp"
#include "tests/support/sim_process.hpp"

using namespace kb::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string bin_dir = KB_BIN_DIR;
const std::string admin_token = "admin-secret-token-0123456789";
const std::string api_key = "client-api-key-0123456789";

json sim_account(const std::string& id) {
  return {{"id", id},
          {"accessToken", "access-" + id + "-SECRET"},
          {"refreshToken", "refresh-" + id + "-SECRET"},
          {"authMethod", "social"},
          {"profileArn", "arn:aws:codewhisperer:us-east-1:000000000000:profile/T"},
          {"accessTokenExpiresInSeconds", 3600},
          {"usageLimit", 500},
          {"currentUsage", 0}};
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

json seed_account(const std::string& id) {
  return {{"id", id},
          {"email", id + "@example.com"},
          {"credentials",
           {{"accessToken", "access-" + id + "-SECRET"},
            {"refreshToken", "refresh-" + id + "-SECRET"},
            {"expiresAt", now_ms() + 3'600'000},
            {"authMethod", "social"}}}};
}

/// kiro-sim over plain HTTP with accounts a1..a4 (a3, a4 start outside the bridge).
struct sim_fixture {
  temp_dir dir;
  std::unique_ptr<sim_process> proc;
  sim_fixture() {
    json accounts = json::array();
    for (auto id : {"a1", "a2", "a3", "a4"})
      accounts.push_back(sim_account(id));
    proc = std::make_unique<sim_process>(
      std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "--accounts",
                               dir.file("accounts.json", accounts.dump())},
      dir.file("sim.log"));
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(proc->http_port()); }
};

struct bridge_fixture {
  sim_fixture sim;
  temp_dir dir;
  std::unique_ptr<child_process> proc;
  int port = 0;

  explicit bridge_fixture(json extra = json::object(), bool with_token = true,
                          const std::string& host = "127.0.0.1") {
    json server = {{"host", "127.0.0.1"},
                   {"port", 3000},
                   {"workersPerAccount", 2},
                   {"logLevel", "debug"},
                   {"logDir", dir.file("logs")},
                   {"apiKeys", json::array({api_key})},
                   {"kiro",
                    {{"apiBaseUrl", sim.base()},
                     {"socialRefreshUrl", sim.base() + "/refreshToken"},
                     {"idcRefreshUrl", sim.base() + "/token"},
                     {"usageUrl", sim.base()}}}};
    if (with_token)
      server["adminToken"] = admin_token;
    server.update(extra);
    write_text(dir.file("server-config.json"), server.dump(2));
    write_text(dir.file("kiro-accounts.json"),
               json{{"version", "1.0.0"},
                    {"accounts", json::array({seed_account("a1"), seed_account("a2")})},
                    {"groups", json::array()},
                    {"tags", json::array()}}
                 .dump(2));
    proc = std::make_unique<child_process>(
      std::vector<std::string>{bin_dir + "/kiro-bridge", "--config-dir", dir.path(),
                               "--port", "0", "--host", host},
      dir.file("bridge.log"));
    auto line = proc->wait_for_line("listening on", 15s);
    REQUIRE_MESSAGE(line, read_text(dir.file("bridge.log")));
    port = port_of(*line);
    REQUIRE(port > 0);
  }

  ~bridge_fixture() { proc->stop(SIGTERM, 10s); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  httplib::Client client(const std::string& token = admin_token) const {
    httplib::Client c{"127.0.0.1", port};
    c.set_read_timeout(60, 0);
    if (!token.empty())
      c.set_bearer_token_auth(token);
    return c;
  }

  json accounts_file() const { return json::parse(read_text(dir.file("kiro-accounts.json"))); }
  json models_file() const { return json::parse(read_text(dir.file("model-mapping.json"))); }

  /// Every byte the bridge wrote: stderr and every file in logDir.
  std::string all_logs() const {
    std::string out = read_text(dir.file("bridge.log"));
    for (auto& e : std::filesystem::directory_iterator(dir.file("logs")))
      out += read_text(e.path().string());
    return out;
  }
};

json body_of(const httplib::Result& r) {
  REQUIRE(r);
  auto j = json::parse(r->body, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r->body);
  return j;
}

std::set<std::string> account_ids(const json& accounts_reply) {
  std::set<std::string> ids;
  for (auto& a : accounts_reply["accounts"])
    ids.insert(a["id"].get<std::string>());
  return ids;
}

const std::string hello_body =
  R"({"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello there"}]})";

struct cli_result {
  int status = -1;
  std::string out;
};

/// Runs kiroctl with the arguments (shell-quoted by the caller), stdout and
/// stderr together.
cli_result kiroctl(const bridge_fixture& b, const std::string& args) {
  auto cmd = bin_dir + "/kiroctl --url " + b.url() + " --token " + admin_token + " " +
             args + " 2>&1";
  cli_result r;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.out.append(buf.data(), n);
  int st = pclose(pipe);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

} // namespace

TEST_CASE("the access rule wants the bearer token when one is set, else loopback") {
  using kb::admin::access;
  using kb::admin::check_access;
  CHECK(check_access("tok-123", "Bearer tok-123", "10.0.0.5") == access::allowed);
  CHECK(check_access("tok-123", "Bearer tok-124", "127.0.0.1") == access::unauthorized);
  CHECK(check_access("tok-123", "", "127.0.0.1") == access::unauthorized);
  CHECK(check_access("tok-123", "tok-123", "127.0.0.1") == access::unauthorized);
  CHECK(check_access("", "", "127.0.0.1") == access::allowed);
  CHECK(check_access("", "", "::1") == access::allowed);
  CHECK(check_access("", "", "::ffff:127.0.0.1") == access::allowed);
  CHECK(check_access("", "Bearer x", "10.0.0.5") == access::forbidden);
  CHECK(check_access("", "", "192.168.1.20") == access::forbidden);
}

TEST_CASE("admin endpoints answer 401 without the token or with a wrong one") {
  bridge_fixture b;
  for (auto token : {std::string{}, std::string{"wrong-token"}}) {
    auto c = b.client(token);
    for (auto path : {"/api/accounts", "/api/config", "/api/models", "/metrics",
                      "/api/logs/server-debug.log", "/api/models/available"}) {
      auto r = c.Get(path);
      REQUIRE(r);
      CHECK_MESSAGE(r->status == 401, path);
    }
    auto r = c.Post("/api/config/hot-reload", "", "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
    r = c.Put("/api/models/x", R"({"kiro":"claude-haiku-4.5"})", "application/json");
    REQUIRE(r);
    CHECK(r->status == 401);
    r = c.Delete("/api/accounts/a1");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  // Health stays public.
  auto health = b.client("").Get("/api/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(body_of(b.client().Get("/api/accounts"))["accounts"].size() == 2);
  CHECK(b.accounts_file()["accounts"].size() == 2);
}

TEST_CASE("with no admin token a loopback client is served") {
  bridge_fixture b{json::object(), false};
  auto r = b.client("").Get("/api/accounts");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("no token value appears in any response or log file") {
  bridge_fixture b;
  auto c = b.client();
  std::string seen;
  for (auto path : {"/api/health", "/api/config", "/api/accounts", "/api/models",
                    "/metrics", "/api/models/available", "/api/logs/server-debug.log",
                    "/api/logs/claude-code.log", "/api/logs/kiro-api.log"}) {
    auto r = c.Get(path);
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 200, path);
    seen += r->body;
  }
  auto config = body_of(c.Get("/api/config"));
  CHECK(config["server"]["adminToken"] == "****6789");
  CHECK(config["server"]["apiKeys"][0] == "****6789");
  // Traffic and commands that touch tokens, then look everywhere.
  httplib::Client claude{"127.0.0.1", b.port};
  claude.set_read_timeout(60, 0);
  auto msg = claude.Post("/v1/messages", {{"x-api-key", api_key}}, hello_body, "application/json");
  REQUIRE(msg);
  CHECK_MESSAGE(msg->status == 200, msg->body);
  auto added = c.Post("/api/accounts",
                      json{{"refreshToken", "refresh-a3-SECRET"},
                           {"accessToken", "access-a3-SECRET"},
                           {"email", "a3@example.com"}}
                        .dump(),
                      "application/json");
  REQUIRE(added);
  CHECK(added->status == 201);
  seen += added->body;
  auto reset = c.Post("/api/accounts/a1/reset", "", "application/json");
  REQUIRE(reset);
  seen += reset->body;
  seen += c.Get("/api/accounts")->body;
  seen += b.all_logs();
  for (auto secret : {std::string{"-SECRET"}, admin_token, api_key})
    CHECK_MESSAGE(seen.find(secret) == std::string::npos, secret);
}

TEST_CASE("model mapping edits are saved atomically and served by the gateway at once") {
  bridge_fixture b;
  auto c = b.client();
  auto put = c.Put("/api/models/my-team-model", R"({"kiro":"claude-haiku-4.5"})",
                   "application/json");
  REQUIRE(put);
  CHECK(put->status == 200);
  CHECK(body_of(put)["known"] == true);
  auto models = body_of(c.Get("/api/models"));
  CHECK(models["mappings"]["my-team-model"] == "claude-haiku-4.5");
  CHECK(models["default"] == "claude-sonnet-4.5");
  auto file = b.models_file();
  CHECK(file.dump().find("my-team-model") != std::string::npos);
  auto resolved = body_of(c.Get("/api/models/resolve?model=my-team-model"));
  CHECK(resolved["kiro"] == "claude-haiku-4.5");
  CHECK(resolved["exactMapping"] == true);
  // The gateway's model list follows the mapping without a restart.
  httplib::Client claude{"127.0.0.1", b.port};
  auto listed = claude.Get("/v1/models?limit=1000", {{"x-api-key", api_key}});
  REQUIRE(listed);
  CHECK(listed->body.find("my-team-model") != std::string::npos);

  auto def = c.Put("/api/models/default", R"({"kiro":"claude-opus-4.5"})", "application/json");
  REQUIRE(def);
  CHECK(def->status == 200);
  CHECK(body_of(c.Get("/api/models/resolve?model=zzz"))["kiro"] == "claude-opus-4.5");

  auto bad = c.Put("/api/models/x", R"({"kiro":42})", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto del = c.Delete("/api/models/my-team-model");
  REQUIRE(del);
  CHECK(del->status == 200);
  auto again = c.Delete("/api/models/my-team-model");
  REQUIRE(again);
  CHECK(again->status == 404);
  CHECK(b.models_file().dump().find("my-team-model") == std::string::npos);
  auto no_model = c.Get("/api/models/resolve");
  REQUIRE(no_model);
  CHECK(no_model->status == 400);
  // Asked of Kiro (here kiro-sim's ListAvailableModels) through an account.
  auto available = body_of(c.Get("/api/models/available"));
  CHECK(available["source"] == "kiro");
  CHECK(available["models"].size() > 3);
  CHECK(available["models"].dump().find("claude-sonnet-4.5") != std::string::npos);
}

TEST_CASE("concurrent mapping edits and account adds lose no update") {
  bridge_fixture b;
  constexpr int n = 16;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&b, &ok, i] {
      auto c = b.client();
      auto r = c.Put("/api/models/parallel-" + std::to_string(i),
                     R"({"kiro":"claude-haiku-4.5"})", "application/json");
      if (r && r->status == 200)
        ++ok;
      // Distinct logins (the same refresh token would update one account).
      json acct = {{"refreshToken", "refresh-p" + std::to_string(i) + "-SECRET"},
                   {"email", "p" + std::to_string(i) + "@example.com"}};
      auto a = c.Post("/api/accounts", acct.dump(), "application/json");
      if (a && a->status == 201)
        ++ok;
    });
  for (auto& t : threads)
    t.join();
  CHECK(ok == 2 * n);
  auto mappings = body_of(b.client().Get("/api/models"))["mappings"];
  auto file = b.models_file().dump();
  for (int i = 0; i < n; ++i) {
    auto key = "parallel-" + std::to_string(i);
    CHECK_MESSAGE(mappings.contains(key), key);
    CHECK_MESSAGE(file.find("\"" + key + "\"") != std::string::npos, key);
  }
  CHECK(body_of(b.client().Get("/api/accounts"))["accounts"].size() == 2 + n);
  // The supervisor persists through its own actor: wait for the last write.
  size_t persisted = 0;
  for (int i = 0; i < 50 && persisted != 2 + n; ++i) {
    persisted = b.accounts_file()["accounts"].size();
    std::this_thread::sleep_for(100ms);
  }
  CHECK(persisted == 2 + n);
}

TEST_CASE("accounts are added, imported, edited, tested, reset and deleted") {
  bridge_fixture b;
  auto c = b.client();
  auto missing = c.Post("/api/accounts", R"({"email":"x@example.com"})", "application/json");
  REQUIRE(missing);
  CHECK(missing->status == 400);
  auto bad_json = c.Post("/api/accounts", "{nope", "application/json");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  auto idc_no_client = c.Post("/api/accounts",
                              R"({"refreshToken":"r-SECRET","authMethod":"IdC"})",
                              "application/json");
  REQUIRE(idc_no_client);
  CHECK(idc_no_client->status == 400);
  CHECK(idc_no_client->body.find("SECRET") == std::string::npos);

  // A Kiro IDE token file (social).
  json token_file = {{"accessToken", "access-a3-SECRET"},
                     {"refreshToken", "refresh-a3-SECRET"},
                     {"expiresAt", "2099-01-01T00:00:00.000Z"},
                     {"authMethod", "social"},
                     {"provider", "Github"}};
  auto imported = c.Post("/api/accounts/import",
                         json{{"token", token_file}, {"email", "a3@example.com"}}.dump(),
                         "application/json");
  REQUIRE(imported);
  CHECK_MESSAGE(imported->status == 200, imported->body);
  auto a3 = body_of(imported)["added"][0].get<std::string>();
  // An IdC token without its client registration is refused.
  token_file["authMethod"] = "IdC";
  auto idc = c.Post("/api/accounts/import", json{{"token", token_file}}.dump(),
                    "application/json");
  REQUIRE(idc);
  CHECK(idc->status == 400);
  CHECK(idc->body.find("client registration") != std::string::npos);
  // With it, accepted.
  auto idc_ok = c.Post("/api/accounts/import",
                       json{{"token", token_file},
                            {"clientRegistration",
                             {{"clientId", "cid"}, {"clientSecret", "csecret-SECRET"}}}}
                         .dump(),
                       "application/json");
  REQUIRE(idc_ok);
  CHECK_MESSAGE(idc_ok->status == 200, idc_ok->body);
  // The seed's own accounts file: every account; a duplicate id is reported.
  json seed = {{"version", "1.0.0"},
               {"accounts", json::array({seed_account("a4"), seed_account("a1")})}};
  auto seeded = body_of(c.Post("/api/accounts/import", seed.dump(), "application/json"));
  CHECK(seeded["added"] == json::array({"a4"}));
  REQUIRE(seeded["failed"].size() == 1);
  CHECK(seeded["failed"][0]["index"] == 1);

  auto ids = account_ids(body_of(c.Get("/api/accounts")));
  CHECK(ids.size() == 5);
  CHECK(ids.count(a3) == 1);
  CHECK(ids.count("a4") == 1);

  auto patched = c.Patch("/api/accounts/a2", R"({"priority":7,"enabled":false})",
                         "application/json");
  REQUIRE(patched);
  CHECK(patched->status == 200);
  for (auto& a : body_of(c.Get("/api/accounts"))["accounts"])
    if (a["id"] == "a2") {
      CHECK(a["priority"] == 7);
      CHECK(a["status"] == "disabled");
    }
  auto bad_patch = c.Patch("/api/accounts/a2", R"({"credentials":{}})", "application/json");
  REQUIRE(bad_patch);
  CHECK(bad_patch->status == 400);
  auto patch_missing = c.Patch("/api/accounts/nope", R"({"priority":1})", "application/json");
  REQUIRE(patch_missing);
  CHECK(patch_missing->status == 404);

  auto tested = c.Post("/api/accounts/a1/test", "", "application/json");
  REQUIRE(tested);
  CHECK_MESSAGE(tested->status == 200, tested->body);
  CHECK(body_of(tested)["ok"] == true);
  auto reset = c.Post("/api/accounts/a4/reset", "", "application/json");
  REQUIRE(reset);
  CHECK_MESSAGE(reset->status == 200, reset->body);
  CHECK(body_of(reset)["test"]["ok"] == true);
  auto test_missing = c.Post("/api/accounts/nope/test", "", "application/json");
  REQUIRE(test_missing);
  CHECK(test_missing->status == 404);

  auto deleted = c.Delete("/api/accounts/a4");
  REQUIRE(deleted);
  CHECK(deleted->status == 200);
  auto deleted_again = c.Delete("/api/accounts/a4");
  REQUIRE(deleted_again);
  CHECK(deleted_again->status == 404);
  CHECK(account_ids(body_of(c.Get("/api/accounts"))).count("a4") == 0);

  json file;
  for (int i = 0; i < 50; ++i) {
    file = b.accounts_file();
    if (file["accounts"].size() == 4)
      break;
    std::this_thread::sleep_for(100ms);
  }
  std::set<std::string> file_ids;
  for (auto& a : file["accounts"])
    file_ids.insert(a["id"].get<std::string>());
  CHECK(file_ids.size() == 4);
  CHECK(file_ids.count("a4") == 0);
  CHECK(file_ids.count(a3) == 1);
}

TEST_CASE("log tails serve only the four category files and refuse traversal") {
  bridge_fixture b;
  auto c = b.client();
  httplib::Client claude{"127.0.0.1", b.port};
  claude.set_read_timeout(60, 0);
  REQUIRE(claude.Post("/v1/messages", {{"x-api-key", api_key}}, hello_body, "application/json"));
  auto tail = c.Get("/api/logs/server-debug.log?lines=3");
  REQUIRE(tail);
  CHECK(tail->status == 200);
  CHECK(std::count(tail->body.begin(), tail->body.end(), '\n') == 3);
  auto claude_log = c.Get("/api/logs/claude-code.log?lines=50");
  REQUIRE(claude_log);
  CHECK(claude_log->body.find("/v1/messages 200 model=claude-sonnet-4.5") != std::string::npos);
  CHECK(claude_log->body.find(" req=req_") != std::string::npos);
  auto kiro_log = c.Get("/api/logs/kiro-api.log");
  REQUIRE(kiro_log);
  CHECK(kiro_log->body.find("acct=a") != std::string::npos);
  for (auto path : {"/api/logs/..%2F..%2Fetc%2Fpasswd", "/api/logs/../server-config.json",
                    "/api/logs/..", "/api/logs/logs%2Fserver-debug.log",
                    "/api/logs/server-debug.log?lines=abc",
                    "/api/logs/server-debug.log?lines=0"}) {
    auto r = c.Get(path);
    REQUIRE(r);
    CHECK_MESSAGE((r->status == 400 || r->status == 404), path);
    CHECK(r->body.find("root:") == std::string::npos);
    CHECK(r->body.find("adminToken") == std::string::npos);
  }
  for (auto path : {"/api/logs/passwd", "/api/logs/server-debug.log.1",
                    "/api/logs/server-config.json"}) {
    auto r = c.Get(path);
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 404, path);
  }
  auto dotdot = c.Get("/api/logs/..%2Fserver-config.json");
  REQUIRE(dotdot);
  CHECK(dotdot->status == 400);
}

TEST_CASE("a bad file on hot reload is refused with file, line and key; the old config stays") {
  bridge_fixture b;
  auto c = b.client();
  auto good_models = read_text(b.dir.file("model-mapping.json"));
  write_text(b.dir.file("model-mapping.json"), "{\n  \"mappings\": {\n    \"x\": \n}");
  auto r = c.Post("/api/config/hot-reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  auto err = body_of(r)["error"];
  CHECK(err["file"].get<std::string>().find("model-mapping.json") != std::string::npos);
  CHECK(err["line"] == 4);
  CHECK(body_of(c.Get("/api/models"))["mappings"].size() > 0);

  write_text(b.dir.file("model-mapping.json"), good_models);
  auto server = json::parse(read_text(b.dir.file("server-config.json")));
  auto bad_server = server;
  bad_server["connectionPool"] = {{"maxSockets", "many"}};
  write_text(b.dir.file("server-config.json"), bad_server.dump(2));
  r = c.Post("/api/config/hot-reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(body_of(r)["error"]["key"] == "connectionPool.maxSockets");
  // Still served with the running config (the old token still works).
  CHECK(c.Get("/api/accounts")->status == 200);

  write_text(b.dir.file("server-config.json"), server.dump(2));
  auto accounts = b.accounts_file();
  auto bad_accounts = accounts;
  bad_accounts["accounts"][0]["credentials"].erase("refreshToken");
  bad_accounts["accounts"][0]["credentials"].erase("accessToken");
  write_text(b.dir.file("kiro-accounts.json"), bad_accounts.dump(2));
  r = c.Post("/api/config/hot-reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(body_of(r)["error"]["file"].get<std::string>().find("kiro-accounts.json") !=
        std::string::npos);
  CHECK(account_ids(body_of(c.Get("/api/accounts"))) == std::set<std::string>{"a1", "a2"});
}

TEST_CASE("hot reload applies accounts, mapping and log level, and flags a port change") {
  bridge_fixture b;
  auto c = b.client();
  auto accounts = b.accounts_file();
  accounts["accounts"].erase(accounts["accounts"].begin()); // a1 goes
  accounts["accounts"].push_back(seed_account("a3"));
  write_text(b.dir.file("kiro-accounts.json"), accounts.dump(2));
  write_text(b.dir.file("model-mapping.json"),
             json{{"reloaded-model", "claude-haiku-4.5"}, {"default", "claude-sonnet-4.5"}}.dump());
  auto server = json::parse(read_text(b.dir.file("server-config.json")));
  server["port"] = 3999;
  server["logLevel"] = "warn";
  write_text(b.dir.file("server-config.json"), server.dump(2));
  auto r = c.Post("/api/config/hot-reload", "", "application/json");
  REQUIRE(r);
  CHECK_MESSAGE(r->status == 200, r->body);
  auto body = body_of(r);
  CHECK(body["restartRequired"] == json::array({"port"}));
  CHECK(body["accounts"]["removed"] == json::array({"a1"}));
  CHECK(body["accounts"]["added"] == json::array({"a3"}));
  CHECK(account_ids(body_of(c.Get("/api/accounts"))) == std::set<std::string>{"a2", "a3"});
  CHECK(body_of(c.Get("/api/models"))["mappings"] == json{{"reloaded-model", "claude-haiku-4.5"}});
  CHECK(body_of(c.Get("/api/config"))["logLevel"] == "WARN");
}

TEST_CASE("a changed mapping file is reloaded by itself with watchConfig") {
  bridge_fixture b{json{{"watchConfig", true}}};
  auto c = b.client();
  write_text(b.dir.file("model-mapping.json"),
             json{{"watched-model", "claude-haiku-4.5"}, {"default", "claude-sonnet-4.5"}}.dump());
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    std::this_thread::sleep_for(100ms);
    seen = body_of(c.Get("/api/models"))["mappings"].contains("watched-model");
  }
  CHECK(seen);
}

TEST_CASE("metrics count requests, tokens and account states in Prometheus text") {
  bridge_fixture b;
  httplib::Client claude{"127.0.0.1", b.port};
  claude.set_read_timeout(60, 0);
  for (int i = 0; i < 2; ++i)
    REQUIRE(claude.Post("/v1/messages", {{"x-api-key", api_key}}, hello_body,
                        "application/json"));
  REQUIRE(claude.Post("/v1/messages", {{"x-api-key", "bad-key"}}, hello_body,
                      "application/json"));
  auto r = b.client().Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type").find("text/plain") == 0);
  auto& m = r->body;
  CHECK(m.find("# TYPE kiro_bridge_requests_total counter") != std::string::npos);
  CHECK(m.find("kiro_bridge_requests_total{route=\"/v1/messages\",status=\"200\","
               "model=\"claude-sonnet-4.5\"} 2") != std::string::npos);
  CHECK(m.find("kiro_bridge_requests_total{route=\"/v1/messages\",status=\"401\",model=\"\"} 1") !=
        std::string::npos);
  CHECK(m.find("kiro_bridge_request_duration_seconds_count{route=\"/v1/messages\"} 3") !=
        std::string::npos);
  CHECK(m.find("kiro_bridge_tokens_total{direction=\"output\",model=\"claude-sonnet-4.5\"}") !=
        std::string::npos);
  CHECK(m.find("kiro_bridge_accounts{state=\"active\"} 2") != std::string::npos);
  CHECK(m.find("kiro_bridge_account_state{account=\"a1\",state=\"active\"} 1") !=
        std::string::npos);
  CHECK(m.find("kiro_bridge_queue_depth 0") != std::string::npos);
  CHECK(m.find("SECRET") == std::string::npos);
  // The bad key is the client's mistake, not an upstream error.
  CHECK(m.find("kiro_bridge_client_errors_total{type=\"authentication_error\"} 1") !=
        std::string::npos);
  CHECK(m.find("kiro_bridge_upstream_errors_total{") == std::string::npos);
  CHECK(m.find("kiro_bridge_service_errors_total{") == std::string::npos);
  CHECK(m.find("kiro_bridge_health_status{status=\"ok\"} 1") != std::string::npos);
}

TEST_CASE("kiroctl accounts import reads the Kiro IDE's login by default, and again updates it in place") {
  bridge_fixture b;
  temp_dir home;
  std::filesystem::create_directories(home.file(".aws/sso/cache"));
  // An IdC login: the token names its client registration by clientIdHash.
  write_text(home.file(".aws/sso/cache/kiro-auth-token.json"),
             json{{"accessToken", "access-a3-SECRET"},
                  {"refreshToken", "refresh-a3-SECRET"},
                  {"expiresAt", "2099-01-01T00:00:00.000Z"},
                  {"authMethod", "IdC"},
                  {"provider", "BuilderId"},
                  {"clientIdHash", "0123abcd"},
                  {"region", "us-east-1"}}
               .dump());
  write_text(home.file(".aws/sso/cache/0123abcd.json"),
             json{{"clientId", "client-a3"}, {"clientSecret", "client-secret-a3-SECRET"},
                  {"expiresAt", "2099-01-01T00:00:00.000Z"}}
               .dump());
  auto run = [&] {
    auto cmd = "HOME=" + home.path() + " " + bin_dir + "/kiroctl --url " + b.url() +
               " --token " + admin_token + " accounts import 2>&1";
    cli_result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    REQUIRE(pipe);
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
      r.out.append(buf.data(), n);
    int st = pclose(pipe);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
  };
  auto first = run();
  CHECK_MESSAGE(first.status == 0, first.out);
  CHECK(first.out.find("importing the Kiro IDE's login from " + home.path() +
                       "/.aws/sso/cache/kiro-auth-token.json") != std::string::npos);
  CHECK(first.out.find("added ") != std::string::npos);
  auto ids = account_ids(body_of(b.client().Get("/api/accounts")));
  CHECK(ids.size() == 3);
  auto second = run();
  CHECK_MESSAGE(second.status == 0, second.out);
  CHECK(second.out.find("in place (already present: same refresh token)") != std::string::npos);
  CHECK(second.out.find("added ") == std::string::npos);
  CHECK(account_ids(body_of(b.client().Get("/api/accounts"))) == ids);
  // The registration beside the token was sent: the account is IdC with its client.
  auto file = b.accounts_file();
  int idc = 0;
  for (auto& a : file["accounts"])
    if (a["credentials"].value("clientId", "") == "client-a3")
      ++idc;
  CHECK(idc == 1);
  CHECK(first.out.find("SECRET") == std::string::npos);
}

TEST_CASE("kiroctl accounts import without a file or a Kiro IDE login says where it looked") {
  bridge_fixture b;
  temp_dir home;
  auto cmd = "HOME=" + home.path() + " " + bin_dir + "/kiroctl --url " + b.url() +
             " --token " + admin_token + " accounts import 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    out.append(buf.data(), n);
  int st = pclose(pipe);
  CHECK(WEXITSTATUS(st) == 1);
  CHECK(out.find("no Kiro IDE login at " + home.path() + "/.aws/sso/cache/kiro-auth-token.json") !=
        std::string::npos);
}

TEST_CASE("kiroctl manages models and accounts end to end") {
  bridge_fixture b;
  auto show = kiroctl(b, "models show");
  CHECK(show.status == 0);
  CHECK(show.out.find("CLAUDE MODEL") != std::string::npos);
  CHECK(show.out.find("default: claude-sonnet-4.5") != std::string::npos);
  auto add = kiroctl(b, "models add cli-model claude-haiku-4.5");
  CHECK(add.status == 0);
  CHECK(add.out == "cli-model → claude-haiku-4.5\n");
  CHECK(body_of(b.client().Get("/api/models"))["mappings"]["cli-model"] == "claude-haiku-4.5");
  auto test = kiroctl(b, "models test cli-model");
  CHECK(test.out == "cli-model → claude-haiku-4.5 (mapped)\n");
  auto json_out = kiroctl(b, "--json models test cli-model");
  CHECK(json::parse(json_out.out)["kiro"] == "claude-haiku-4.5");
  auto list = kiroctl(b, "models list");
  CHECK(list.status == 0);
  CHECK(list.out.find("claude-sonnet-4.5\n") != std::string::npos);
  CHECK(kiroctl(b, "models remove cli-model").status == 0);
  auto gone = kiroctl(b, "models remove cli-model");
  CHECK(gone.status == 1);
  CHECK(gone.out.find("HTTP 404: no mapping for cli-model") != std::string::npos);

  auto accounts = kiroctl(b, "accounts list");
  CHECK(accounts.status == 0);
  CHECK(accounts.out.find("a1@example.com") != std::string::npos);
  auto added = kiroctl(b, "accounts add --refresh-token refresh-a3-SECRET --email a3@example.com "
                          "--priority 2");
  CHECK(added.status == 0);
  CHECK(added.out.rfind("added ", 0) == 0);
  auto new_id = added.out.substr(6, added.out.size() - 7);
  CHECK(account_ids(body_of(b.client().Get("/api/accounts"))).count(new_id) == 1);
  auto token_path = b.dir.file("kiro-auth-token.json",
                               json{{"accessToken", "access-a4-SECRET"},
                                    {"refreshToken", "refresh-a4-SECRET"},
                                    {"authMethod", "social"}}
                                 .dump());
  auto imported = kiroctl(b, "accounts import " + token_path);
  CHECK(imported.status == 0);
  CHECK(imported.out.rfind("added ", 0) == 0);
  auto tested = kiroctl(b, "accounts test a1");
  CHECK_MESSAGE(tested.status == 0, tested.out);
  CHECK(tested.out.rfind("ok in ", 0) == 0);
  auto refreshed = kiroctl(b, "accounts refresh a2");
  CHECK_MESSAGE(refreshed.status == 0, refreshed.out);
  CHECK(kiroctl(b, "accounts remove " + new_id).status == 0);
  auto missing = kiroctl(b, "accounts remove " + new_id);
  CHECK(missing.status == 1);
  CHECK(missing.out.find("no account with id") != std::string::npos);
  auto health = kiroctl(b, "health");
  CHECK(health.status == 0);
  CHECK(health.out.find("status: ok") != std::string::npos);
  CHECK(health.out.find("accounts: 3") != std::string::npos);

  auto usage = kiroctl(b, "models frobnicate");
  CHECK(usage.status == 2);
  auto unauthorized = cli_result{};
  {
    auto cmd = bin_dir + "/kiroctl --url " + b.url() + " --token wrong accounts list 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    REQUIRE(pipe);
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
      unauthorized.out.append(buf, n);
    int st = pclose(pipe);
    unauthorized.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  CHECK(unauthorized.status == 1);
  CHECK(unauthorized.out.find("HTTP 401") != std::string::npos);
  auto unreachable = std::system((bin_dir + "/kiroctl --url http://127.0.0.1:1 health "
                                            ">/dev/null 2>&1")
                                   .c_str());
  CHECK(WEXITSTATUS(unreachable) == 1);
}

namespace {

/// `error.type` and `error.message` of an admin refusal.
std::pair<std::string, std::string> admin_error(const httplib::Result& r) {
  auto err = body_of(r)["error"];
  return {err.value("type", ""), err.value("message", "")};
}

std::string host_header(const bridge_fixture& b) {
  return "127.0.0.1:" + std::to_string(b.port);
}

} // namespace

TEST_CASE("without adminToken a web page can neither add accounts nor rebind its name") {
  bridge_fixture b{json::object(), false};
  auto c = b.client("");
  auto account = json{{"refreshToken", "refresh-a3-SECRET"}, {"email", "csrf@example.com"}}.dump();
  // The issue's probe: a page on attacker.example, its name resolved to 127.0.0.1.
  auto r = c.Post("/api/accounts",
                  {{"Host", "attacker.example"}, {"Origin", "http://attacker.example"}},
                  account, "text/plain");
  REQUIRE(r);
  CHECK(r->status == 403);
  auto [type, message] = admin_error(r);
  CHECK(type == "permission_error");
  CHECK(message.find("Host attacker.example is not a name of this bridge") == 0);
  // Reading through the rebound name is refused too (config, logs).
  r = c.Get("/api/config", {{"Host", "attacker.example:" + std::to_string(b.port)}});
  REQUIRE(r);
  CHECK(r->status == 403);
  // A form POST from another site to the right Host: refused by its Origin.
  r = c.Post("/api/accounts", {{"Origin", "http://attacker.example"}}, account,
             "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  std::tie(type, message) = admin_error(r);
  CHECK(type == "permission_error");
  CHECK(message == "Origin http://attacker.example is not this bridge's own; cross-site "
                   "admin requests are refused");
  r = c.Post("/api/accounts/a1/reset", {{"Origin", "null"}}, "", "text/plain");
  REQUIRE(r);
  CHECK(r->status == 403);
  // A body that is not declared JSON (what a form can send without preflight).
  for (auto type_sent : {"text/plain", "application/x-www-form-urlencoded"}) {
    r = c.Post("/api/accounts", account, type_sent);
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 415, type_sent);
    std::tie(type, message) = admin_error(r);
    CHECK(type == "invalid_request_error");
    CHECK(message == "an admin request body must be Content-Type: application/json");
  }
  r = c.Put("/api/models/x", R"({"kiro":"claude-haiku-4.5"})", "text/plain");
  REQUIRE(r);
  CHECK(r->status == 415);
  CHECK(account_ids(body_of(c.Get("/api/accounts"))) == std::set<std::string>{"a1", "a2"});
  // The web UI's own requests: same origin, JSON.
  r = c.Post("/api/accounts", {{"Origin", "http://" + host_header(b)}}, account,
             "application/json");
  REQUIRE(r);
  CHECK_MESSAGE(r->status == 201, r->body);
  r = c.Post("/api/accounts/a1/test", {{"Origin", "http://" + host_header(b)}}, "", "");
  REQUIRE(r);
  CHECK_MESSAGE(r->status == 200, r->body);
  r = c.Get("/api/accounts", {{"Host", "localhost:" + std::to_string(b.port)}});
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("adminHosts names are served without a token; other names are not") {
  bridge_fixture b{json{{"adminHosts", json::array({"kiro.internal"})}}, false};
  auto c = b.client("");
  auto r = c.Get("/api/accounts", {{"Host", "kiro.internal:" + std::to_string(b.port)}});
  REQUIRE(r);
  CHECK(r->status == 200);
  r = c.Get("/api/accounts", {{"Host", "kiro.internal.attacker.example"}});
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(body_of(c.Get("/api/config"))["server"]["adminHosts"] == json::array({"kiro.internal"}));
}

TEST_CASE("with adminToken a cross-site mutation or a non-JSON body is still refused") {
  bridge_fixture b;
  auto c = b.client();
  auto r = c.Delete("/api/accounts/a1", {{"Origin", "http://attacker.example"}});
  REQUIRE(r);
  CHECK(r->status == 403);
  r = c.Patch("/api/accounts/a1", R"({"priority":3})", "text/plain");
  REQUIRE(r);
  CHECK(r->status == 415);
  CHECK(account_ids(body_of(c.Get("/api/accounts"))) == std::set<std::string>{"a1", "a2"});
  // The token answers for any Host (it is what rebinding cannot forge).
  r = c.Get("/api/accounts", {{"Host", "bridge.example.com"}, {"X-Forwarded-For", "10.1.2.3"}});
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("behind a proxy the loopback rule alone does not admit admin requests") {
  bridge_fixture b{json::object(), false};
  auto c = b.client("");
  for (auto header : {std::pair<std::string, std::string>{"X-Forwarded-For", "203.0.113.9"},
                      {"Forwarded", "for=203.0.113.9;proto=https"},
                      {"X-Real-IP", "203.0.113.9"}}) {
    auto r = c.Get("/api/accounts", {{header.first, header.second}});
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 403, header.first);
    auto [type, message] = admin_error(r);
    CHECK(type == "permission_error");
    CHECK(message.find("this request came through a proxy (X-Forwarded-For/Forwarded)") == 0);
  }
  CHECK(c.Get("/api/accounts")->status == 200);
  CHECK(read_text(b.dir.file("bridge.log"))
          .find("admin API: no adminToken, so loopback clients only") != std::string::npos);
}

TEST_CASE("listening beyond loopback without adminToken refuses the admin API and says so") {
  bridge_fixture b{json::object(), false, "0.0.0.0"};
  auto c = b.client("");
  auto r = c.Get("/api/accounts");
  REQUIRE(r);
  CHECK(r->status == 403);
  auto [type, message] = admin_error(r);
  CHECK(type == "permission_error");
  CHECK(message == "kiro-bridge listens on 0.0.0.0, beyond loopback, and no adminToken is "
                   "configured: set adminToken to use the admin API");
  r = c.Post("/api/config/hot-reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(c.Get("/api/health")->status == 200);
  CHECK(read_text(b.dir.file("bridge.log"))
          .find("WARN  [admin] req=- acct=- admin API: no adminToken while listening on "
                "0.0.0.0 (beyond loopback): every admin request is refused (403) until "
                "adminToken is set") != std::string::npos);
}

TEST_CASE("a symlink in logDir is not served and log files are 0640") {
  bridge_fixture b;
  auto c = b.client();
  auto logs = b.dir.file("logs");
  for (auto name : {"server-debug.log", "server-error.log", "claude-code.log", "kiro-api.log"}) {
    auto perms = std::filesystem::status(logs + "/" + name).permissions();
    CHECK_MESSAGE(perms == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                            std::filesystem::perms::group_read),
                  name);
  }
  std::filesystem::remove(logs + "/claude-code.log");
  std::filesystem::create_symlink(b.dir.file("kiro-accounts.json"), logs + "/claude-code.log");
  auto r = c.Get("/api/logs/claude-code.log?lines=1000");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->body.find("SECRET") == std::string::npos);
  auto [type, message] = admin_error(r);
  CHECK(type == "permission_error");
  CHECK(message == "log claude-code.log is not a regular file (a symbolic link or device in "
                   "logDir), so it is not served");
  // A missing file is an empty tail, as before.
  std::filesystem::remove(logs + "/kiro-api.log");
  r = c.Get("/api/logs/kiro-api.log");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.empty());
}

TEST_CASE("a hot reload to a logDir that is not a writable directory is refused") {
  bridge_fixture b;
  auto c = b.client();
  auto server = json::parse(read_text(b.dir.file("server-config.json")));
  auto bad = server;
  bad["logDir"] = "/proc/self";
  bad["logLevel"] = "error";
  write_text(b.dir.file("server-config.json"), bad.dump(2));
  auto r = c.Post("/api/config/hot-reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  auto err = body_of(r)["error"];
  CHECK(err["type"] == "invalid_request_error");
  CHECK(err["key"] == "logDir");
  CHECK(err["file"] == b.dir.file("server-config.json"));
  CHECK(err["message"].get<std::string>().find(b.dir.file("server-config.json") +
                                               ": logDir: /proc/self is not a writable "
                                               "directory: ") == 0);
  CHECK(err["message"].get<std::string>().find("; the running configuration is kept") !=
        std::string::npos);
  auto config = body_of(c.Get("/api/config"));
  CHECK(config["server"]["logDir"] == b.dir.file("logs"));
  CHECK(config["logLevel"] == "DEBUG");
  // The old files keep receiving lines.
  write_text(b.dir.file("server-config.json"), server.dump(2));
  REQUIRE(c.Get("/api/accounts?probe=after-refused-reload"));
  auto tail = c.Get("/api/logs/server-debug.log?lines=200");
  REQUIRE(tail);
  CHECK(tail->body.find("hot reload refused") != std::string::npos);
  // A plain file where the folder should be.
  bad["logDir"] = b.dir.file("server-config.json");
  write_text(b.dir.file("server-config.json"), bad.dump(2));
  r = c.Post("/api/config/hot-reload", "", "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(body_of(r)["error"]["key"] == "logDir");
}

TEST_CASE("kiro-bridge does not start with a logDir it cannot write") {
  temp_dir dir;
  write_text(dir.file("server-config.json"),
             json{{"host", "127.0.0.1"}, {"logDir", "/proc/self"}}.dump());
  child_process proc{std::vector<std::string>{bin_dir + "/kiro-bridge", "--config-dir",
                                              dir.path(), "--port", "0"},
                     dir.file("bridge.log")};
  CHECK_FALSE(proc.wait_for_line("listening on", 15s));
  CHECK(proc.stop(SIGTERM, 10s) == 1);
  CHECK(read_text(dir.file("bridge.log"))
          .find("kiro-bridge: " + dir.file("server-config.json") +
                ": logDir: /proc/self is not a writable directory: ") != std::string::npos);
}
