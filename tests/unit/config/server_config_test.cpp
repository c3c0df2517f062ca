#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "shared/config/file_io.hpp"
#include "shared/config/server_config.hpp"
#include "tests/unit/config/test_dir.hpp"

using namespace kb::config;

namespace {

server_config parse_ok(std::string_view text) {
  auto cfg = parse_server_config(text, "server-config.json");
  if (!cfg) FAIL(cfg.error().to_string());
  return *cfg;
}

config_error parse_error(std::string_view text) {
  auto cfg = parse_server_config(text, "server-config.json");
  REQUIRE_FALSE(cfg.ok());
  return cfg.error();
}

} // namespace

TEST_CASE("an empty object gives every documented default") {
  auto c = parse_ok("{}");
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 3000);
  CHECK(c.strategy == selection_strategy::automatic);
  CHECK(c.auto_switch_on_error);
  CHECK(c.multi_account_enabled);
  CHECK(c.connection_pool.max_sockets == 256);
  CHECK(c.connection_pool.max_free_sockets == 64);
  CHECK(c.connection_pool.socket_timeout_ms == 120000);
  CHECK(c.connection_pool.request_timeout_ms == 600000);
  CHECK(c.token_refresh.buffer_seconds == 300);
  CHECK(c.token_refresh.retry_attempts == 3);
  CHECK(c.log_level == "info");
  CHECK(c.workers_per_account == 8);
  CHECK(c.queue_timeout_ms == 30000);
  CHECK(c.api_keys.empty());
  CHECK(c.admin_token == "");
  CHECK(c.log_dir == "logs");
  CHECK(c.log_rotation.max_size_bytes == 10485760);
  CHECK(c.log_rotation.max_files == 5);
  CHECK_FALSE(c.watch_config);
  CHECK(c.kiro.region == "us-east-1");
  CHECK(c.kiro.api_base_url == "https://q.us-east-1.amazonaws.com");
  CHECK(c.kiro.social_refresh_url ==
        "https://prod.us-east-1.auth.desktop.kiro.dev/refreshToken");
  CHECK(c.kiro.idc_refresh_url == "https://oidc.us-east-1.amazonaws.com/token");
  CHECK(c.kiro.usage_url == "https://q.us-east-1.amazonaws.com");
  CHECK(c.kiro.ca_file == "");
  CHECK(c.kiro.kiro_version == "0.11.107");
  CHECK(c.cluster.supervisor_host == "127.0.0.1");
  CHECK(c.cluster.supervisor_port == 4100);
  CHECK_FALSE(c.cluster.gateway_port.has_value());
}

TEST_CASE("the README's flat shape is read") {
  auto c = parse_ok(R"({
    "port": 8080, "host": "127.0.0.1", "strategy": "round-robin",
    "autoSwitchOnError": false,
    "connectionPool": {"maxSockets": 20, "maxFreeSockets": 10,
                       "socketTimeout": 5000, "requestTimeout": 9000},
    "tokenRefresh": {"bufferSeconds": 600, "retryAttempts": 5},
    "logLevel": "debug",
    "workersPerAccount": 4, "queueTimeoutMs": 1500,
    "apiKeys": ["sk-one", "sk-two"], "adminToken": "admin-secret",
    "adminHosts": ["kiro.internal"],
    "logDir": "/var/log/kb", "logRotation": {"maxSize": 2048, "maxFiles": 2},
    "watchConfig": true,
    "cluster": {"supervisorHost": "supervisor", "supervisorPort": 4200,
                "gatewayPort": 3001}
  })");
  CHECK(c.port == 8080);
  CHECK(c.host == "127.0.0.1");
  CHECK(c.strategy == selection_strategy::round_robin);
  CHECK_FALSE(c.auto_switch_on_error);
  CHECK(c.connection_pool.max_sockets == 20);
  CHECK(c.connection_pool.max_free_sockets == 10);
  CHECK(c.connection_pool.socket_timeout_ms == 5000);
  CHECK(c.connection_pool.request_timeout_ms == 9000);
  CHECK(c.token_refresh.buffer_seconds == 600);
  CHECK(c.token_refresh.retry_attempts == 5);
  CHECK(c.log_level == "debug");
  CHECK(c.workers_per_account == 4);
  CHECK(c.queue_timeout_ms == 1500);
  CHECK(c.api_keys == std::vector<std::string>{"sk-one", "sk-two"});
  CHECK(c.admin_token == "admin-secret");
  CHECK(c.admin_hosts == std::vector<std::string>{"kiro.internal"});
  CHECK(c.log_dir == "/var/log/kb");
  CHECK(c.log_rotation.max_size_bytes == 2048);
  CHECK(c.log_rotation.max_files == 2);
  CHECK(c.watch_config);
  CHECK(c.cluster.supervisor_host == "supervisor");
  CHECK(c.cluster.supervisor_port == 4200);
  CHECK(c.cluster.gateway_port == 3001);
  CHECK(c.raw["port"] == 8080);
}

TEST_CASE("the released code's nested shape is read") {
  auto c = parse_ok(R"({
    "server": {"host": "localhost", "port": 9000, "frontendPort": 5173},
    "stream": {"chunkSize": 4},
    "token": {"refreshRetryMax": 7, "refreshRetryIntervalMs": 2500,
              "refreshBufferMinutes": 10},
    "connectionPool": {"maxSockets": 50},
    "account": {"multiAccountEnabled": false, "strategy": "least-inflight",
                "autoSwitchOnError": false},
    "logging": {"level": "warn", "rotation": {"maxSize": 4096, "maxFiles": 9}}
  })");
  CHECK(c.host == "localhost");
  CHECK(c.port == 9000);
  CHECK(c.token_refresh.retry_attempts == 7);
  CHECK(c.token_refresh.retry_interval_ms == 2500);
  CHECK(c.token_refresh.buffer_seconds == 600);
  CHECK(c.connection_pool.max_sockets == 50);
  CHECK(c.connection_pool.max_free_sockets == 64);
  CHECK_FALSE(c.multi_account_enabled);
  CHECK(c.strategy == selection_strategy::least_inflight);
  CHECK_FALSE(c.auto_switch_on_error);
  CHECK(c.log_level == "warn");
  CHECK(c.log_rotation.max_size_bytes == 4096);
  CHECK(c.log_rotation.max_files == 9);
  CHECK(c.raw["server"]["frontendPort"] == 5173);
}

TEST_CASE("flat keys win over their nested twins") {
  auto c = parse_ok(R"({
    "server": {"host": "nested-host", "port": 9000},
    "port": 3100, "host": "flat-host",
    "account": {"strategy": "random"}, "strategy": "first",
    "token": {"refreshRetryMax": 1}, "tokenRefresh": {"retryAttempts": 4},
    "logging": {"level": "error", "rotation": {"maxFiles": 1}},
    "logLevel": "debug", "logRotation": {"maxFiles": 3}
  })");
  CHECK(c.host == "flat-host");
  CHECK(c.port == 3100);
  CHECK(c.strategy == selection_strategy::first);
  CHECK(c.token_refresh.retry_attempts == 4);
  CHECK(c.log_level == "debug");
  CHECK(c.log_rotation.max_files == 3);
}

TEST_CASE("every wrongly typed key is named in the error") {
  struct bad_case {
    const char* text;
    const char* key;
    const char* message;
  };
  const std::vector<bad_case> cases{
    {R"({"port":"3000"})", "port", "expected a number, got string"},
    {R"({"host":5})", "host", "expected a string, got number"},
    {R"({"strategy":true})", "strategy", "expected a string, got boolean"},
    {R"({"autoSwitchOnError":"yes"})", "autoSwitchOnError",
     "expected a boolean, got string"},
    {R"({"connectionPool":{"maxSockets":"256"}})", "connectionPool.maxSockets",
     "expected a number, got string"},
    {R"({"connectionPool":{"maxFreeSockets":null}})",
     "connectionPool.maxFreeSockets", "expected a number, got null"},
    {R"({"connectionPool":{"socketTimeout":[1]}})", "connectionPool.socketTimeout",
     "expected a number, got array"},
    {R"({"connectionPool":{"requestTimeout":{}}})",
     "connectionPool.requestTimeout", "expected a number, got object"},
    {R"({"connectionPool":7})", "connectionPool", "expected an object, got number"},
    {R"({"tokenRefresh":{"bufferSeconds":"300"}})", "tokenRefresh.bufferSeconds",
     "expected a number, got string"},
    {R"({"tokenRefresh":{"retryAttempts":1.5}})", "tokenRefresh.retryAttempts",
     "expected an integer, got a fractional number"},
    {R"({"logLevel":1})", "logLevel", "expected a string, got number"},
    {R"({"workersPerAccount":"8"})", "workersPerAccount",
     "expected a number, got string"},
    {R"({"queueTimeoutMs":false})", "queueTimeoutMs",
     "expected a number, got boolean"},
    {R"({"apiKeys":"sk-1"})", "apiKeys", "expected an array of strings, got string"},
    {R"({"apiKeys":["a",2]})", "apiKeys[1]", "expected a string, got number"},
    {R"({"adminToken":1})", "adminToken", "expected a string, got number"},
    {R"({"adminHosts":"kiro.internal"})", "adminHosts",
     "expected an array of host names, got string"},
    {R"({"adminHosts":[1]})", "adminHosts[0]", "expected a string, got number"},
    {R"({"adminHosts":["http://kiro.internal"]})", "adminHosts[0]",
     "must be a host name such as bridge.internal (no scheme, port or path)"},
    {R"({"adminHosts":["kiro.internal:3000"]})", "adminHosts[0]",
     "must be a host name such as bridge.internal (no scheme, port or path)"},
    {R"({"logDir":[]})", "logDir", "expected a string, got array"},
    {R"({"logRotation":{"maxSize":"1MB"}})", "logRotation.maxSize",
     "expected a number, got string"},
    {R"({"logRotation":{"maxFiles":"5"}})", "logRotation.maxFiles",
     "expected a number, got string"},
    {R"({"watchConfig":1})", "watchConfig", "expected a boolean, got number"},
    {R"({"kiro":{"region":1}})", "kiro.region", "expected a string, got number"},
    {R"({"kiro":{"apiBaseUrl":1}})", "kiro.apiBaseUrl",
     "expected a string, got number"},
    {R"({"kiro":{"socialRefreshUrl":null}})", "kiro.socialRefreshUrl",
     "expected a string, got null"},
    {R"({"kiro":{"idcRefreshUrl":{}}})", "kiro.idcRefreshUrl",
     "expected a string, got object"},
    {R"({"kiro":{"usageUrl":true}})", "kiro.usageUrl",
     "expected a string, got boolean"},
    {R"({"kiro":{"caFile":0}})", "kiro.caFile", "expected a string, got number"},
    {R"({"kiro":{"kiroVersion":0.11}})", "kiro.kiroVersion",
     "expected a string, got number"},
    {R"({"cluster":{"supervisorHost":1}})", "cluster.supervisorHost",
     "expected a string, got number"},
    {R"({"cluster":{"supervisorPort":"4100"}})", "cluster.supervisorPort",
     "expected a number, got string"},
    {R"({"cluster":{"gatewayPort":"3001"}})", "cluster.gatewayPort",
     "expected a number, got string"},
    {R"({"server":{"port":"9000"}})", "server.port", "expected a number, got string"},
    {R"({"server":{"host":false}})", "server.host", "expected a string, got boolean"},
    {R"({"account":{"autoSwitchOnError":"no"}})", "account.autoSwitchOnError",
     "expected a boolean, got string"},
    {R"({"account":{"multiAccountEnabled":0}})", "account.multiAccountEnabled",
     "expected a boolean, got number"},
    {R"({"token":{"refreshBufferMinutes":"5"}})", "token.refreshBufferMinutes",
     "expected a number, got string"},
    {R"({"token":{"refreshRetryIntervalMs":"5"}})", "token.refreshRetryIntervalMs",
     "expected a number, got string"},
    {R"({"logging":{"rotation":{"maxSize":"10"}}})", "logging.rotation.maxSize",
     "expected a number, got string"},
    {R"({"logging":"info"})", "logging", "expected an object, got string"},
  };
  for (const auto& bad : cases) {
    CAPTURE(bad.text);
    auto err = parse_error(bad.text);
    CHECK(err.file == "server-config.json");
    CHECK(err.key == bad.key);
    CHECK(err.message == bad.message);
  }
}

TEST_CASE("the error text reads as file, key and reason") {
  auto err = parse_error(R"({"connectionPool":{"maxSockets":"many"}})");
  CHECK(err.to_string() ==
        "server-config.json: connectionPool.maxSockets: expected a number, got "
        "string");
}

TEST_CASE("an unknown strategy is refused with the list of valid ones") {
  auto err = parse_error(R"({"strategy":"fastest"})");
  CHECK(err.key == "strategy");
  CHECK(err.message == "expected one of auto, random, first, round-robin, "
                       "least-inflight, got \"fastest\"");
}

TEST_CASE("numbers out of range are refused with the range") {
  auto err = parse_error(R"({"port":70000})");
  CHECK(err.key == "port");
  CHECK(err.message == "expected an integer between 1 and 65535, got 70000");
  CHECK(parse_error(R"({"port":0})").key == "port");
  CHECK(parse_error(R"({"workersPerAccount":1025})").message ==
        "expected an integer between 1 and 1024, got 1025");
  CHECK(parse_error(R"({"connectionPool":{"maxSockets":-1}})").key ==
        "connectionPool.maxSockets");
  CHECK(parse_ok(R"({"port":3000.0})").port == 3000);
}

TEST_CASE("an unknown log level is refused") {
  auto err = parse_error(R"({"logLevel":"verbose"})");
  CHECK(err.key == "logLevel");
  CHECK(err.message == "expected one of debug, info, warn, error");
  CHECK(parse_ok(R"({"logLevel":"WARN"})").log_level == "warn");
}

TEST_CASE("a syntax error reports line and column") {
  auto err = parse_error("{\n  \"port\": 3000,\n  \"host\": ,\n}");
  CHECK(err.line == 3);
  CHECK(err.column == 11);
  CHECK(err.key == "");
  CHECK(err.to_string().rfind("server-config.json:3:11: syntax error", 0) == 0);
}

TEST_CASE("a document that is not an object is refused") {
  auto err = parse_error("[1,2]");
  CHECK(err.message == "expected an object, got array");
}

TEST_CASE("absurdly deep nesting is refused before parsing") {
  std::string text = "{\"x\":" + std::string(100, '[') + std::string(100, ']') + "}";
  auto err = parse_error(text);
  CHECK(err.message == "JSON nested deeper than 64 levels");
  CHECK(err.line == 1);
  CHECK(err.column == 69);
}

TEST_CASE("a region derives the upstream URLs unless they are given") {
  auto c = parse_ok(R"({"kiro":{"region":"eu-central-1"}})");
  CHECK(c.kiro.region == "eu-central-1");
  CHECK(c.kiro.api_base_url == "https://q.eu-central-1.amazonaws.com");
  CHECK(c.kiro.social_refresh_url ==
        "https://prod.eu-central-1.auth.desktop.kiro.dev/refreshToken");
  CHECK(c.kiro.idc_refresh_url == "https://oidc.eu-central-1.amazonaws.com/token");
  CHECK(c.kiro.usage_url == "https://q.eu-central-1.amazonaws.com");

  auto sim = parse_ok(R"({"kiro":{"region":"eu-central-1",
      "apiBaseUrl":"https://127.0.0.1:8443", "caFile":"tests/sim.pem"}})");
  CHECK(sim.kiro.api_base_url == "https://127.0.0.1:8443");
  CHECK(sim.kiro.usage_url == "https://127.0.0.1:8443");
  CHECK(sim.kiro.idc_refresh_url == "https://oidc.eu-central-1.amazonaws.com/token");
  CHECK(sim.kiro.ca_file == "tests/sim.pem");

  auto usage = parse_ok(R"({"kiro":{"usageUrl":"http://localhost:9/u"}})");
  CHECK(usage.kiro.usage_url == "http://localhost:9/u");
  CHECK(usage.kiro.api_base_url == "https://q.us-east-1.amazonaws.com");
}

TEST_CASE("a region that cannot be a host name is refused") {
  auto err = parse_error(R"({"kiro":{"region":"us east/1"}})");
  CHECK(err.key == "kiro.region");
  CHECK(err.message == "expected an AWS region such as us-east-1");
}

TEST_CASE("a URL setting must be one the upstream client can call") {
  auto err = parse_error(R"({"kiro":{"idcRefreshUrl":"oidc.example.com/token"}})");
  CHECK(err.key == "kiro.idcRefreshUrl");
  CHECK(err.message == "expected an http:// or https:// URL with a host (no query or fragment)");
  // Refused at startup, not at the first call that cannot be made.
  CHECK(parse_error(R"({"kiro":{"apiBaseUrl":"http://127.0.0.1:8080/q?x=1"}})").key ==
        "kiro.apiBaseUrl");
  CHECK(parse_error(R"({"kiro":{"apiBaseUrl":"https://[::1"}})").key == "kiro.apiBaseUrl");
  CHECK(parse_ok(R"({"kiro":{"apiBaseUrl":"https://[::1]:8443/base/"}})").kiro.api_base_url ==
        "https://[::1]:8443/base/");
}

TEST_CASE("the masked view shows the effective config with secrets masked") {
  auto c = parse_ok(R"({"apiKeys":["sk-ant-0123456789abcd","short"],
                        "adminToken":"admin-token-wxyz",
                        "server":{"port":9000}})");
  auto view = masked_view(c);
  CHECK(view["apiKeys"] == nlohmann::json::array({"****abcd", "****"}));
  CHECK(view["adminToken"] == "****wxyz");
  CHECK(view["port"] == 9000);
  CHECK(view["strategy"] == "auto");
  CHECK(view["kiro"]["usageUrl"] == "https://q.us-east-1.amazonaws.com");
  CHECK(view["cluster"]["gatewayPort"].is_null());
  CHECK(view.dump().find("0123456789") == std::string::npos);
  CHECK(view.dump().find("admin-token") == std::string::npos);
  CHECK(masked_view(parse_ok("{}"))["adminToken"] == "");
}

TEST_CASE("the shipped server-config.json loads with the documented defaults") {
  auto c = load_server_config(std::string(KB_SOURCE_DIR) + "/config/server-config.json");
  REQUIRE(c.ok());
  auto defaults = parse_ok("{}");
  CHECK(masked_view(*c) == masked_view(defaults));
}

TEST_CASE("a missing server config file gives the defaults") {
  kb::config::test::temp_dir dir;
  auto c = load_server_config(dir.file("server-config.json"));
  REQUIRE(c.ok());
  CHECK(c->port == 3000);
  CHECK(c->raw == nlohmann::json::object());
}

TEST_CASE("a syntax error in a loaded file names the file path") {
  kb::config::test::temp_dir dir;
  const auto path = dir.file("server-config.json");
  REQUIRE_FALSE(atomic_write_file(path, "{\n  \"port\": }\n").has_value());
  auto c = load_server_config(path);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().file == path);
  CHECK(c.error().line == 2);
  CHECK(c.error().column == 11);
}
