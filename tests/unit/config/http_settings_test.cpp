// The HTTP server's bounds: http.headerTimeoutMs, http.maxConnections,
// http.maxBodyBytesInFlight.

#include <doctest/doctest.h>

#include "shared/config/server_config.hpp"

using namespace kb::config;

TEST_CASE("http.* settings: defaults, read, shown, and refused out of range with the key named") {
  auto defaults = parse_server_config("{}", "server-config.json");
  REQUIRE(defaults.ok());
  CHECK(defaults->http.header_timeout_ms == 20000);
  CHECK(defaults->http.max_connections == 10000);
  CHECK(defaults->http.max_body_bytes_in_flight == 512ll << 20);

  auto set = parse_server_config(
    R"({"http":{"headerTimeoutMs":5000,"maxConnections":64,"maxBodyBytesInFlight":67108864}})",
    "server-config.json");
  REQUIRE(set.ok());
  CHECK(set->http.header_timeout_ms == 5000);
  CHECK(set->http.max_connections == 64);
  CHECK(set->http.max_body_bytes_in_flight == 64ll << 20);
  CHECK(masked_view(*set)["http"]["maxConnections"] == 64);

  for (auto [text, key] : {
         std::pair{R"({"http":{"headerTimeoutMs":10}})", "http.headerTimeoutMs"},
         std::pair{R"({"http":{"maxConnections":0}})", "http.maxConnections"},
         std::pair{R"({"http":{"maxBodyBytesInFlight":1000}})", "http.maxBodyBytesInFlight"},
         std::pair{R"({"http":{"maxConnections":"many"}})", "http.maxConnections"},
       }) {
    CAPTURE(text);
    auto cfg = parse_server_config(text, "server-config.json");
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.error().key == key);
  }
}
