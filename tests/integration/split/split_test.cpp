// Split mode for real: kiro-sim, then kiro-supervisor, kiro-gateway(s) and
// kiro-admin as separate processes on loopback, talking over CAF's
// middleman. Claude requests (plain, streamed, tool use) through a split
// gateway; the supervisor killed and restarted mid-test (529 while down, 200
// after); two gateways on one supervisor; SIGTERM exits 0 everywhere.

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

  /// `sim_args`: extra kiro-sim flags (e.g. --rotate-refresh-tokens).
  explicit split_stack(std::vector<std::string> sim_args = {}) {
    json sim_accounts = json::array({{{"id", "acct-1"},
                                      {"accessToken", "access-acct-1"},
                                      {"refreshToken", "refresh-acct-1"},
                                      {"authMethod", "social"},
                                      {"profileArn", "arn:aws:codewhisperer:us-east-1:000000000000:profile/T"},
                                      {"accessTokenExpiresInSeconds", 3600},
                                      {"usageLimit", 1000},
                                      {"currentUsage", 0}}});
    std::vector<std::string> args{"--host", "127.0.0.1", "--port", "0", "--accounts",
                                  dir.file("sim-accounts.json", sim_accounts.dump())};
    args.insert(args.end(), sim_args.begin(), sim_args.end());
    sim = std::make_unique<sim_process>(args, dir.file("sim.log"));
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

  /// Extra keys of the `cluster` section (e.g. tls, bindHost).
  json cluster_extra = json::object();
  /// Extra top-level keys of server-config.json.
  json server_extra = json::object();

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
    server["cluster"].update(cluster_extra);
    server.update(server_extra);
    write_text(dir.file("server-config.json"), server.dump(2));
  }

  std::string stderr_file(const std::string& name) {
    return dir.file(name + "-" + std::to_string(++starts) + ".log");
  }

  /// The supervisor's ready line.
  std::string supervisor_line;

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
    supervisor_line = *line;
    supervisor_port = port_of(field_after(*line, "cluster"));
    supervisor.port = port_of(field_after(*line, "health"));
    return supervisor_port > 0 && supervisor.port > 0;
  }

  /// Starts kiro-gateway or kiro-admin pointed at the supervisor's port
  /// (with the config folder `config_dir`, default the stack's).
  daemon start_client(const std::string& program, const std::string& config_dir = "") {
    daemon d;
    d.proc = std::make_unique<child_process>(
      std::vector<std::string>{bin_dir + "/" + program, "--config-dir",
                               config_dir.empty() ? dir.path() : config_dir, "--port", "0",
                               "--supervisor-port", std::to_string(supervisor_port)},
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
  auto accounts = json::parse(r->body)["accounts"];
  if (accounts.empty() || !accounts[0]["requests"].is_number())
    return -1;
  return accounts[0]["requests"].get<int64_t>();
}

/// A kB figure of /proc/PID/status ("VmRSS", "VmHWM"); -1 if unreadable.
int64_t proc_status_kb(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stoll(line.substr(field.size() + 1));
  return -1;
}

/// A TCP connection to 127.0.0.1:port (-1 if it cannot be opened).
int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

/// True once the peer closed `fd` (EOF or reset), reading and dropping
/// whatever it sends first; false if it is still open after `limit`.
bool closed_by_peer(int fd, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 1) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        return true;
    }
  }
  return false;
}

/// A BASP header (caf/io/basp/header.hpp, 0.17: operation, 2 padding bytes,
/// flags, payload_len, operation_data, source and destination actor; big-endian).
std::string basp_header(uint8_t operation, uint32_t payload_len) {
  std::string h(32, '\0');
  h[0] = static_cast<char>(operation);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<char>((payload_len >> (24 - 8 * i)) & 0xff);
  return h;
}

/// Makes a CA and a certificate + key it signed for `name` in `dir` (openssl CLI).
struct tls_set {
  std::string ca, cert, key;
};
std::optional<tls_set> make_ca_and_cert(const temp_dir& dir, const std::string& name) {
  auto p = [&](const std::string& f) { return dir.file(name + "-" + f); };
  std::string cmd =
    "set -e; cd '" + dir.path() + "'; "
    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name + "-ca -keyout '" +
    p("ca.key") + "' -out '" + p("ca.pem") + "' >/dev/null 2>&1; "
    "openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + "-daemon -keyout '" + p("key.pem") +
    "' -out '" + p("csr.pem") + "' >/dev/null 2>&1; "
    "openssl x509 -req -in '" + p("csr.pem") + "' -CA '" + p("ca.pem") + "' -CAkey '" +
    p("ca.key") + "' -CAcreateserial -days 2 -out '" + p("cert.pem") + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    return std::nullopt;
  return tls_set{p("ca.pem"), p("cert.pem"), p("key.pem")};
}

json tls_json(const tls_set& t) {
  return {{"caFile", t.ca}, {"certFile", t.cert}, {"keyFile", t.key}};
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

TEST_CASE("a BASP header announcing 4 GiB before the handshake is closed at once; gateways keep being served") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  REQUIRE(wait_connected(gateway, 10s));
  auto cli = client_of(gateway);
  REQUIRE(answer_text(cli, "warm up") == "Hello from kiro-sim. You said: warm up");
  auto pid = stack.supervisor.proc->pid();
  auto rss_before = proc_status_kb(pid, "VmRSS");
  REQUIRE(rss_before > 0);

  int attacker = connect_loopback(stack.supervisor_port);
  REQUIRE(attacker >= 0);
  // A client handshake that CAF's valid() accepts, announcing 0xffffffff bytes.
  REQUIRE(send_all(attacker, basp_header(0x01, 0xffffffffu)));
  // A gateway request while the announced payload is "on its way".
  CHECK(answer_text(cli, "during") == "Hello from kiro-sim. You said: during");
  CHECK(closed_by_peer(attacker, 10s));
  ::close(attacker);
  CHECK(answer_text(cli, "after") == "Hello from kiro-sim. You said: after");
  auto peak = proc_status_kb(pid, "VmHWM");
  MESSAGE("supervisor RSS before " << rss_before << " kB, peak after the header " << peak
                                   << " kB");
  CHECK(peak - rss_before < 50 * 1024);
  CHECK(stack.supervisor.proc->running());
}

TEST_CASE("garbage on the inter-daemon port never crashes the supervisor") {
  split_stack stack;
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  REQUIRE(wait_connected(gateway, 10s));
  std::mt19937 rng{18};
  auto random_bytes = [&](size_t n) {
    std::string out(n, '\0');
    for (auto& c : out)
      c = static_cast<char>(rng() & 0xff);
    return out;
  };
  std::vector<std::string> inputs = {
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    std::string(32, '\xff'),
    basp_header(0x07, 0),                      // no such operation
    basp_header(0x02, 16) + random_bytes(16),  // a message before any handshake
    basp_header(0x01, 64) + random_bytes(64),  // a handshake with a garbage payload
    basp_header(0x01, 0),                      // an empty handshake (crashed CAF 0.17.6)
    basp_header(0x06, 0) + basp_header(0x01, 0xfffffff0u),
    std::string(7, '\x01'),                    // a truncated header, then close
  };
  for (int i = 0; i < 20; ++i)
    inputs.push_back(random_bytes(1 + rng() % 70000));
  for (auto& bytes : inputs) {
    int fd = connect_loopback(stack.supervisor_port);
    REQUIRE(fd >= 0);
    send_all(fd, bytes); // the supervisor may close before all of it is sent
    ::shutdown(fd, SHUT_WR);
    closed_by_peer(fd, 5s);
    ::close(fd);
  }
  REQUIRE(stack.supervisor.proc->running());
  auto cli = client_of(gateway);
  CHECK(answer_text(cli, "still here") == "Hello from kiro-sim. You said: still here");
  auto health = client_of(stack.supervisor).Get("/api/health");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("the inter-daemon port binds to loopback unless cluster.bindHost says otherwise") {
  split_stack stack;
  // The address the clients dial is not where the supervisor listens.
  stack.cluster_extra = {{"supervisorHost", "192.0.2.1"}};
  stack.write_server_config(2);
  REQUIRE(stack.start_supervisor());
  CHECK(field_after(stack.supervisor_line, "cluster").rfind("127.0.0.1:", 0) == 0);
  REQUIRE(stack.supervisor.proc->stop(SIGTERM, 10s) == 0);
  stack.cluster_extra = {{"bindHost", "0.0.0.0"}};
  stack.write_server_config(2);
  REQUIRE(stack.start_supervisor());
  CHECK(field_after(stack.supervisor_line, "cluster").rfind("0.0.0.0:", 0) == 0);
}

TEST_CASE("with cluster.tls the daemons speak mutual TLS and refuse peers without a certificate of the CA") {
  split_stack stack;
  auto ours = make_ca_and_cert(stack.dir, "ours");
  auto theirs = make_ca_and_cert(stack.dir, "theirs");
  REQUIRE(ours);
  REQUIRE(theirs);
  stack.cluster_extra = {{"tls", tls_json(*ours)}};
  stack.write_server_config(2);
  REQUIRE(stack.start_supervisor());
  CHECK(field_after(stack.supervisor_line, "tls") == "on");
  auto gateway = stack.start_client("kiro-gateway");
  auto admin = stack.start_client("kiro-admin");
  REQUIRE(wait_connected(gateway, 10s));
  auto cli = client_of(gateway);
  CHECK(answer_text(cli, "over TLS") == "Hello from kiro-sim. You said: over TLS");
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (account_requests(admin) < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(account_requests(admin) == 1);

  // A gateway without TLS, and one whose certificate another CA signed.
  auto config_with = [&](const std::string& name, const json& cluster) {
    auto folder = stack.dir.file(name);
    std::filesystem::create_directories(folder);
    auto server = json::parse(read_text(stack.dir.file("server-config.json")));
    server["cluster"].erase("tls");
    server["cluster"].update(cluster);
    write_text(folder + "/server-config.json", server.dump(2));
    std::filesystem::copy_file(stack.dir.file("kiro-accounts.json"),
                               folder + "/kiro-accounts.json");
    return folder;
  };
  auto plain = stack.start_client("kiro-gateway", config_with("plain", json::object()));
  auto foreign =
    stack.start_client("kiro-gateway", config_with("foreign", {{"tls", tls_json(*theirs)}}));
  REQUIRE(plain.port > 0);
  REQUIRE(foreign.port > 0);
  CHECK_FALSE(wait_connected(plain, 3s));
  CHECK_FALSE(wait_connected(foreign, 1s));
  auto plain_cli = client_of(plain);
  auto refused = post_messages(plain_cli, hello("let me in"));
  REQUIRE(refused);
  CHECK(refused->status == 529);
  // A raw BASP handshake, as an unauthenticated peer would send it.
  int raw = connect_loopback(stack.supervisor_port);
  REQUIRE(raw >= 0);
  send_all(raw, basp_header(0x01, 0xffffffffu));
  CHECK(closed_by_peer(raw, 10s));
  ::close(raw);
  // The refused peers cost the connected daemons nothing.
  CHECK(answer_text(cli, "still TLS") == "Hello from kiro-sim. You said: still TLS");
  CHECK(stack.supervisor.proc->running());
  // A restarted supervisor gets its TLS gateway back.
  auto port = stack.supervisor_port;
  REQUIRE(stack.supervisor.proc->stop(SIGKILL, 5s) == 128 + SIGKILL);
  REQUIRE(stack.start_supervisor(port));
  REQUIRE(wait_connected(gateway, 10s));
  CHECK(answer_text(cli, "after a restart") == "Hello from kiro-sim. You said: after a restart");
}

TEST_CASE("a daemon refuses cluster.tls files that cannot work, with a clear error") {
  split_stack stack;
  auto ours = make_ca_and_cert(stack.dir, "ours");
  auto theirs = make_ca_and_cert(stack.dir, "theirs");
  REQUIRE(ours);
  REQUIRE(theirs);
  auto mixed = *ours;
  mixed.ca = theirs->ca; // our certificate, another CA
  stack.cluster_extra = {{"tls", tls_json(mixed)}};
  stack.write_server_config(2);
  CHECK_FALSE(stack.start_supervisor());
  CHECK(stack.supervisor.proc->stop(0, 5s) == 1);
  auto err = read_text(stack.dir.file("supervisor-1.log"));
  CHECK(err.find("not signed by cluster.tls.caFile") != std::string::npos);
  stack.cluster_extra = {{"tls", {{"caFile", ours->ca}}}};
  stack.write_server_config(2);
  CHECK_FALSE(stack.start_supervisor());
  CHECK(stack.supervisor.proc->stop(0, 5s) == 1);
  CHECK(read_text(stack.dir.file("supervisor-2.log")).find("go together") != std::string::npos);
}

namespace {

/// kiro-sim's request log, optionally of one endpoint.
json sim_requests(httplib::Client& ctl, const std::string& endpoint = "") {
  auto r = ctl.Get(endpoint.empty() ? "/__sim/requests"
                                    : "/__sim/requests?endpoint=" + endpoint);
  if (!r || r->status != 200)
    return json::array();
  auto body = json::parse(r->body);
  return body.is_array() ? body : body.value("requests", json::array());
}

/// The accounts file with its first account's access token expired (or not).
void set_token_expiry(const std::string& path, int64_t expires_at) {
  auto doc = json::parse(read_text(path));
  doc["accounts"][0]["credentials"]["expiresAt"] = expires_at;
  write_text(path, doc.dump(2));
}

} // namespace

TEST_CASE("a rotated refresh token is on disk before the new access token is used: 10 kill -9 runs") {
  split_stack stack{{"--rotate-refresh-tokens"}};
  auto accounts_path = stack.dir.file("kiro-accounts.json");
  // 8 MB of an unknown key (kept on every save): a save takes tens of ms,
  // the window in which the old order already used the new access token.
  auto doc = json::parse(read_text(accounts_path));
  doc["padding"] = std::string(8u << 20, 'p');
  write_text(accounts_path, doc.dump(2));
  REQUIRE(stack.start_supervisor());
  auto port = stack.supervisor_port;
  auto gateway = stack.start_client("kiro-gateway");
  auto ctl = stack.sim_control();
  int runs = 0;
  for (; runs < 10; ++runs) {
    REQUIRE(wait_connected(gateway, 10s));
    auto calls_before = sim_requests(ctl, "generateAssistantResponse").size();
    // The next call is refused as an invalid bearer: the supervisor refreshes
    // (the sim rotates the refresh token) and retries with the new token.
    json script = {{"response", {{"kind", "invalid_bearer"}}}};
    REQUIRE(ctl.Post("/__sim/script", script.dump(), "application/json"));
    std::thread client{[&] {
      auto cli = client_of(gateway);
      post_messages(cli, hello("run " + std::to_string(runs)));
    }};
    bool retried = false;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!retried && std::chrono::steady_clock::now() < deadline) {
      retried = sim_requests(ctl, "generateAssistantResponse").size() >= calls_before + 2;
      if (!retried)
        std::this_thread::sleep_for(1ms);
    }
    // The new access token was used: the crash comes right after.
    stack.supervisor.proc->stop(SIGKILL, 5s);
    client.join();
    if (!retried)
      break;
    REQUIRE(stack.start_supervisor(port));
  }
  CHECK(runs == 10);
  // Every refresh presented a refresh token kiro-sim still knew: the one the
  // previous refresh issued was in the file when the crash came.
  auto refreshes = sim_requests(ctl, "refreshToken");
  CHECK(refreshes.size() >= static_cast<size_t>(runs));
  int rejected = 0;
  for (auto& r : refreshes)
    rejected += r["status"] != 200;
  CHECK(rejected == 0);
  // And the account still works.
  if (runs == 10) {
    REQUIRE(wait_connected(gateway, 10s));
    auto cli = client_of(gateway);
    CHECK(answer_text(cli, "after the crashes") ==
          "Hello from kiro-sim. You said: after the crashes");
  }
}

TEST_CASE("at start stale temporary accounts files go and a save leaves the accounts file 0600") {
  split_stack stack;
  auto accounts_path = stack.dir.file("kiro-accounts.json");
  // What a kill -9 during a save leaves: a full copy of the tokens.
  auto stale = accounts_path + ".tmp.999999999.0";
  write_text(stale, read_text(accounts_path));
  std::filesystem::last_write_time(stale, std::filesystem::last_write_time(stale) - 60s);
  REQUIRE(::chmod(accounts_path.c_str(), 0644) == 0);
  set_token_expiry(accounts_path, now_ms() - 1000); // a refresh (and a save) at start
  REQUIRE(stack.start_supervisor());
  CHECK_FALSE(std::filesystem::exists(stale));
  auto ctl = stack.sim_control();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sim_requests(ctl, "refreshToken").empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(stack.supervisor.proc->stop(SIGTERM, 10s) == 0);
  auto saved = json::parse(read_text(accounts_path));
  CHECK(saved["accounts"][0]["credentials"]["expiresAt"].get<int64_t>() > now_ms());
  struct stat st {};
  REQUIRE(::stat(accounts_path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("tokenRefresh.bufferSeconds above the token's lifetime refreshes once, not in a storm") {
  split_stack stack;
  auto ctl = stack.sim_control();
  REQUIRE(ctl.Post("/__sim/config", json{{"issuedExpiresInSeconds", 600}}.dump(),
                   "application/json"));
  stack.server_extra = {{"tokenRefresh", {{"bufferSeconds", 3600}}}};
  stack.write_server_config(2);
  set_token_expiry(stack.dir.file("kiro-accounts.json"), now_ms() - 1000);
  REQUIRE(stack.start_supervisor());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sim_requests(ctl, "refreshToken").empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(sim_requests(ctl, "refreshToken").size() >= 1);
  // The old schedule refreshed again at once, every time (40 in 10 s).
  std::this_thread::sleep_for(3s);
  CHECK(sim_requests(ctl, "refreshToken").size() == 1);
  REQUIRE(stack.supervisor.proc->stop(SIGTERM, 10s) == 0);
  auto err = read_text(stack.dir.file("supervisor-1.log"));
  CHECK(err.find("tokenRefresh.bufferSeconds (3600 s) is not shorter than the token's lifetime") !=
        std::string::npos);
}

TEST_CASE("connectionPool.streamTimeout ends a stream that runs longer with an error event") {
  split_stack stack;
  // requestTimeout alone never bounded a stream (issue 18.6).
  stack.server_extra = {{"connectionPool", {{"requestTimeout", 500}, {"streamTimeout", 1500}}}};
  stack.write_server_config(2);
  REQUIRE(stack.start_supervisor());
  auto gateway = stack.start_client("kiro-gateway");
  REQUIRE(wait_connected(gateway, 10s));
  auto ctl = stack.sim_control();
  json script = {{"response",
                  {{"kind", "slow"}, {"text", "abcdefghijklmnop"}, {"chunks", 16},
                   {"chunkDelayMs", 400}}}};
  REQUIRE(ctl.Post("/__sim/script", script.dump(), "application/json"));
  auto cli = client_of(gateway);
  auto r = post_messages(cli, hello("slow", true));
  REQUIRE(r);
  CHECK(r->status == 200);
  auto events = sse_events(r->body);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back()["type"] == "error");
  CHECK(events.back()["error"]["message"].get<std::string>().find("streamTimeout") !=
        std::string::npos);
  std::string text;
  for (auto& e : events)
    if (e["type"] == "content_block_delta")
      text += e["delta"]["text"].get<std::string>();
  CHECK(text.size() < 16);
  // The account's worker was freed: the next request is served.
  CHECK(answer_text(cli, "next") == "Hello from kiro-sim. You said: next");
}
