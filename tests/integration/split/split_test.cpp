// Split mode for real: kiro-sim, then kiro-supervisor, kiro-gateway(s) and
// kiro-admin as separate processes on loopback, talking over CAF's
// middleman. Claude requests (plain, streamed, tool use) through a split
// gateway; the supervisor killed and restarted mid-test (529 while down, 200
// after); two gateways on one supervisor; SIGTERM exits 0 everywhere.

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

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The port of the URL after "listening on " in a daemon's ready line.
int listening_port(const std::string& line) {
  const std::string marker = "listening on ";
  auto start = line.find(marker);
  if (start == std::string::npos)
    return -1;
  start += marker.size();
  return port_of(line.substr(start, line.find(' ', start) - start));
}

struct daemon {
  std::unique_ptr<child_process> proc;
  int port = -1; ///< HTTP port (health port for the supervisor)
};

/// kiro-sim with one account, and the config folder every daemon reads.
struct split_stack {
  temp_dir dir;
  std::unique_ptr<sim_process> sim;
  daemon supervisor;
  int supervisor_port = 0; ///< the inter-daemon (BASP) port
  int starts = 0;          ///< names each daemon's stderr file

  split_stack() {
    json sim_accounts = json::array({{{"id", "acct-1"},
                                      {"accessToken", "access-acct-1"},
                                      {"refreshToken", "refresh-acct-1"},
                                      {"authMethod", "social"},
                                      {"profileArn", "arn:aws:codewhisperer:us-east-1:000000000000:profile/T"},
                                      {"accessTokenExpiresInSeconds", 3600},
                                      {"usageLimit", 1000},
                                      {"currentUsage", 0}}});
    sim = std::make_unique<sim_process>(
      std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "--accounts",
                               dir.file("sim-accounts.json", sim_accounts.dump())},
      dir.file("sim.log"));
    auto base = "http://127.0.0.1:" + std::to_string(sim->http_port());
    write_server_config(2);
    json accounts = {{"version", "1.0.0"},
                     {"accounts",
                      json::array({{{"id", "acct-1"},
                                    {"email", "acct-1@example.com"},
                                    {"credentials",
                                     {{"accessToken", "access-acct-1"},
                                      {"refreshToken", "refresh-acct-1"},
                                      {"expiresAt", now_ms() + 3'600'000},
                                      {"authMethod", "social"}}},
                                    {"priority", 0}}})},
                     {"groups", json::array()},
                     {"tags", json::array()}};
    write_text(dir.file("kiro-accounts.json"), accounts.dump(2));
  }

  std::string sim_base() const {
    return "http://127.0.0.1:" + std::to_string(sim->http_port());
  }

  void write_server_config(int workers) {
    auto base = sim_base();
    json server = {{"host", "127.0.0.1"},
                   {"workersPerAccount", workers},
                   {"logLevel", "info"},
                   {"logDir", dir.file("logs")},
                   {"kiro",
                    {{"apiBaseUrl", base},
                     {"socialRefreshUrl", base + "/refreshToken"},
                     {"idcRefreshUrl", base + "/token"},
                     {"usageUrl", base}}},
                   {"cluster", {{"supervisorHost", "127.0.0.1"}, {"supervisorPort", 4100}}}};
    write_text(dir.file("server-config.json"), server.dump(2));
  }

  std::string stderr_file(const std::string& name) {
    return dir.file(name + "-" + std::to_string(++starts) + ".log");
  }

  /// Starts the supervisor on `port` (0 = any free port, remembered for restarts).
  bool start_supervisor(int port = 0) {
    supervisor.proc = std::make_unique<child_process>(
      std::vector<std::string>{bin_dir + "/kiro-supervisor", "--config-dir", dir.path(),
                               "--supervisor-port", std::to_string(port),
                               "--health-port", "0"},
      stderr_file("supervisor"));
    auto line = supervisor.proc->wait_for_line("kiro-supervisor listening", 15s);
    if (!line)
      return false;
    supervisor_port = port_of(field_after(*line, "cluster"));
    supervisor.port = port_of(field_after(*line, "health"));
    return supervisor_port > 0 && supervisor.port > 0;
  }

  /// Starts kiro-gateway or kiro-admin pointed at the supervisor's port.
  daemon start_client(const std::string& program) {
    daemon d;
    d.proc = std::make_unique<child_process>(
      std::vector<std::string>{bin_dir + "/" + program, "--config-dir", dir.path(),
                               "--port", "0", "--supervisor-port",
                               std::to_string(supervisor_port)},
      stderr_file(program));
    if (auto line = d.proc->wait_for_line(program + " listening on", 15s))
      d.port = listening_port(*line);
    return d;
  }

  httplib::Client sim_control() const {
    httplib::Client c{"127.0.0.1", sim->http_port()};
    c.set_read_timeout(10, 0);
    return c;
  }
};

httplib::Client client_of(const daemon& d) {
  httplib::Client c{"127.0.0.1", d.port};
  c.set_read_timeout(30, 0);
  c.set_connection_timeout(5, 0);
  return c;
}

/// Waits until the daemon's health says "supervisor":"connected".
bool wait_connected(const daemon& gateway, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto cli = client_of(gateway);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = cli.Get("/api/health"); r && r->status == 200 &&
                                          json::parse(r->body)["supervisor"] == "connected")
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

json hello(const std::string& text, bool stream = false) {
  return {{"model", "claude-sonnet-4-5"},
          {"max_tokens", 64},
          {"stream", stream},
          {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
}

httplib::Result post_messages(httplib::Client& cli, const json& body) {
  return cli.Post("/v1/messages", {{"anthropic-version", "2023-06-01"}}, body.dump(),
                  "application/json");
}

/// The text of a non-streamed answer (empty unless 200).
std::string answer_text(httplib::Client& cli, const std::string& prompt) {
  auto r = post_messages(cli, hello(prompt));
  if (!r || r->status != 200)
    return {};
  return json::parse(r->body)["content"][0]["text"].get<std::string>();
}

/// The `data:` objects of an SSE body.
std::vector<json> sse_events(const std::string& body) {
  std::vector<json> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    auto end = body.find('\n', pos);
    out.push_back(json::parse(body.substr(pos + 6, end - pos - 6)));
    pos = end;
  }
  return out;
}

int64_t account_requests(const daemon& admin) {
  auto cli = client_of(admin);
  auto r = cli.Get("/api/accounts");
  if (!r || r->status != 200)
    return -1;
  return json::parse(r->body)["accounts"][0]["requests"].get<int64_t>();
}

} // namespace

TEST_CASE("a split gateway answers plain, streamed and tool-use requests through the supervisor") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  REQUIRE(gateway.port > 0);
  REQUIRE(wait_connected(gateway, 10s));
  auto cli = client_of(gateway);

  CHECK(answer_text(cli, "Hello there") == "Hello from kiro-sim. You said: Hello there");

  auto streamed = post_messages(cli, hello("Stream this", true));
  REQUIRE(streamed);
  CHECK(streamed->status == 200);
  CHECK(streamed->get_header_value("Content-Type").rfind("text/event-stream", 0) == 0);
  auto events = sse_events(streamed->body);
  REQUIRE(events.size() >= 4);
  CHECK(events.front()["type"] == "message_start");
  CHECK(events.back()["type"] == "message_stop");
  std::string text;
  for (auto& e : events)
    if (e["type"] == "content_block_delta")
      text += e["delta"]["text"].get<std::string>();
  CHECK(text == "Hello from kiro-sim. You said: Stream this");

  auto ctl = stack.sim_control();
  json script = {{"response",
                  {{"kind", "tool"},
                   {"name", "get_weather"},
                   {"input", {{"city", "Paris"}}}}}};
  REQUIRE(ctl.Post("/__sim/script", script.dump(), "application/json"));
  auto body = hello("What is the weather in Paris?");
  body["tools"] = json::array({{{"name", "get_weather"},
                                {"description", "Weather for a city"},
                                {"input_schema",
                                 {{"type", "object"},
                                  {"properties", {{"city", {{"type", "string"}}}}},
                                  {"required", json::array({"city"})}}}}});
  auto tool = post_messages(cli, body);
  REQUIRE(tool);
  REQUIRE(tool->status == 200);
  auto message = json::parse(tool->body);
  CHECK(message["stop_reason"] == "tool_use");
  json tool_use;
  for (auto& block : message["content"])
    if (block["type"] == "tool_use")
      tool_use = block;
  CHECK(tool_use["name"] == "get_weather");
  CHECK(tool_use["input"] == json{{"city", "Paris"}});
}

TEST_CASE("while the supervisor is down the gateway answers 529 at once, and 200 after it restarts") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  auto admin = stack.start_client("kiro-admin");
  REQUIRE(gateway.port > 0);
  REQUIRE(admin.port > 0);
  REQUIRE(wait_connected(gateway, 10s));
  auto cli = client_of(gateway);
  REQUIRE(answer_text(cli, "before") == "Hello from kiro-sim. You said: before");

  auto port = stack.supervisor_port;
  CHECK(stack.supervisor.proc->stop(SIGKILL, 5s) == 128 + SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto h = cli.Get("/api/health");
    if (h && json::parse(h->body)["supervisor"] == "disconnected")
      break;
    std::this_thread::sleep_for(20ms);
  }
  for (bool stream : {false, true}) {
    auto started = std::chrono::steady_clock::now();
    auto down = post_messages(cli, hello("while down", stream));
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(down);
    CHECK(down->status == 529);
    CHECK(json::parse(down->body)["error"]["type"] == "overloaded_error");
    CHECK(took < 2s);
  }
  // The admin keeps serving; commands fail at once instead of hanging.
  auto admin_cli = client_of(admin);
  auto started = std::chrono::steady_clock::now();
  auto test_down = admin_cli.Post("/api/accounts/acct-1/test", "{}", "application/json");
  REQUIRE(test_down);
  CHECK(test_down->status >= 500);
  CHECK(std::chrono::steady_clock::now() - started < 2s);

  REQUIRE(stack.start_supervisor(port));
  CHECK(stack.supervisor_port == port);
  REQUIRE(wait_connected(gateway, 10s));
  CHECK(answer_text(cli, "after") == "Hello from kiro-sim. You said: after");
  // The admin re-subscribed: the new supervisor's reports reach it.
  auto test_up = admin_cli.Post("/api/accounts/acct-1/test", "{}", "application/json");
  REQUIRE(test_up);
  CHECK(test_up->status == 200);
  deadline = std::chrono::steady_clock::now() + 5s;
  while (account_requests(admin) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(account_requests(admin) == 2); // "after" and the test call, counted afresh
}

TEST_CASE("a stream in flight when the supervisor dies ends with an error event, not a hang") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  REQUIRE(wait_connected(gateway, 10s));
  auto ctl = stack.sim_control();
  json script = {{"response",
                  {{"kind", "slow"}, {"text", "abcdefgh"}, {"chunks", 8},
                   {"chunkDelayMs", 500}}}};
  REQUIRE(ctl.Post("/__sim/script", script.dump(), "application/json"));
  std::string body;
  std::thread killer{[&] {
    std::this_thread::sleep_for(1200ms);
    stack.supervisor.proc->stop(SIGKILL, 5s);
  }};
  auto cli = client_of(gateway);
  auto started = std::chrono::steady_clock::now();
  auto r = post_messages(cli, hello("slow", true));
  auto took = std::chrono::steady_clock::now() - started;
  killer.join();
  REQUIRE(r);
  CHECK(r->status == 200);
  auto events = sse_events(r->body);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back()["type"] == "error");
  CHECK(events.back()["error"]["type"] == "overloaded_error");
  CHECK(took < 4s); // the whole answer would have taken 4 s
}

TEST_CASE("two gateways serve from one supervisor") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto first = stack.start_client("kiro-gateway");
  auto second = stack.start_client("kiro-gateway");
  auto admin = stack.start_client("kiro-admin");
  REQUIRE(first.port > 0);
  REQUIRE(second.port > 0);
  REQUIRE(first.port != second.port);
  REQUIRE(wait_connected(first, 10s));
  REQUIRE(wait_connected(second, 10s));
  std::vector<std::string> answers(6);
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i)
    clients.emplace_back([&, i] {
      auto cli = client_of(i % 2 == 0 ? first : second);
      answers[i] = answer_text(cli, "client " + std::to_string(i));
    });
  for (auto& t : clients)
    t.join();
  for (int i = 0; i < 6; ++i)
    CHECK(answers[i] == "Hello from kiro-sim. You said: client " + std::to_string(i));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (account_requests(admin) < 6 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(account_requests(admin) == 6);
  auto health = client_of(stack.supervisor).Get("/api/health");
  REQUIRE(health);
  CHECK(json::parse(health->body)["accounts"]["total"] == 1);
}

TEST_CASE("a gateway started before its supervisor answers 529 until it connects") {
  split_stack stack;
  // Reserve a port for the supervisor by starting and stopping one.
  REQUIRE(stack.start_supervisor());
  auto port = stack.supervisor_port;
  REQUIRE(stack.supervisor.proc->stop(SIGTERM, 5s) == 0);
  auto gateway = stack.start_client("kiro-gateway");
  REQUIRE(gateway.port > 0);
  auto cli = client_of(gateway);
  auto early = post_messages(cli, hello("too early"));
  REQUIRE(early);
  CHECK(early->status == 529);
  REQUIRE(stack.start_supervisor(port));
  REQUIRE(wait_connected(gateway, 10s));
  CHECK(answer_text(cli, "on time") == "Hello from kiro-sim. You said: on time");
}

TEST_CASE("workersPerAccount changes by hot reload through kiro-admin") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto admin = stack.start_client("kiro-admin");
  REQUIRE(admin.port > 0);
  auto cli = client_of(admin);
  auto workers = [&] {
    auto r = cli.Get("/api/accounts");
    if (!r || r->status != 200 || json::parse(r->body)["accounts"].empty())
      return -1;
    return json::parse(r->body)["accounts"][0]["workers"].get<int>();
  };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (workers() != 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  REQUIRE(workers() == 2);
  stack.write_server_config(5);
  auto r = cli.Post("/api/config/hot-reload", "{}", "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  deadline = std::chrono::steady_clock::now() + 5s;
  while (workers() != 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(workers() == 5);
}

TEST_CASE("a model mapping added through kiro-admin reaches a split gateway") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  auto admin = stack.start_client("kiro-admin");
  REQUIRE(wait_connected(gateway, 10s));
  httplib::Client sim_cli{"127.0.0.1", stack.sim->http_port()};
  auto haiku_calls = [&] {
    auto r = sim_cli.Get("/__sim/requests");
    REQUIRE(r);
    size_t n = 0;
    for (auto at = r->body.find("claude-haiku-4.5"); at != std::string::npos;
         at = r->body.find("claude-haiku-4.5", at + 1))
      ++n;
    return n;
  };
  auto before = haiku_calls();
  auto admin_cli = client_of(admin);
  auto put = admin_cli.Put("/api/models/team-fast", json{{"kiro", "claude-haiku-4.5"}}.dump(),
                           "application/json");
  REQUIRE(put);
  REQUIRE(put->status == 200);
  // watchConfig is off: the gateway follows the file the admin wrote anyway.
  auto cli = client_of(gateway);
  auto request = hello("which model?");
  request["model"] = "team-fast";
  bool mapped = false;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!mapped && std::chrono::steady_clock::now() < deadline) {
    auto r = post_messages(cli, request);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    mapped = haiku_calls() > before;
    if (!mapped)
      std::this_thread::sleep_for(200ms);
  }
  CHECK(mapped);
}

TEST_CASE("every split daemon exits 0 on SIGTERM") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  auto admin = stack.start_client("kiro-admin");
  REQUIRE(wait_connected(gateway, 10s));
  auto cli = client_of(gateway);
  REQUIRE(answer_text(cli, "bye") == "Hello from kiro-sim. You said: bye");
  CHECK(gateway.proc->stop(SIGTERM, 10s) == 0);
  CHECK(admin.proc->stop(SIGTERM, 10s) == 0);
  CHECK(stack.supervisor.proc->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("a split daemon refuses an unknown flag with exit code 2") {
  for (std::string program : {"kiro-supervisor", "kiro-gateway", "kiro-admin"}) {
    child_process p{{bin_dir + "/" + program, "--no-such-flag", "1"}, "/dev/null"};
    CHECK(p.stop(0, 5s) == 2);
  }
}
