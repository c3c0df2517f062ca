// The Kiro request settings: kiro.maxRequestBytes and kiro.chunkedWriteGuidance.

#include <doctest/doctest.h>

#include "shared/config/server_config.hpp"
#include "shared/kiro/request_builder.hpp"

using namespace kb::config;

namespace {

server_config parse_ok(std::string_view text) {
  auto cfg = parse_server_config(text, "server-config.json");
  if (!cfg) FAIL(cfg.error().to_string());
  return *cfg;
}

} // namespace

TEST_CASE("by default the request limit is today's Kiro limit and the write guidance is on") {
  auto c = parse_ok("{}");
  CHECK(c.kiro.max_request_bytes == 4'047'768);
  CHECK(static_cast<size_t>(c.kiro.max_request_bytes) == kb::kiro::default_max_body_bytes);
  CHECK(c.kiro.chunked_write_guidance);
  auto view = masked_view(c);
  CHECK(view["kiro"]["maxRequestBytes"] == 4'047'768);
  CHECK(view["kiro"]["chunkedWriteGuidance"] == true);
}

TEST_CASE("kiro.maxRequestBytes and kiro.chunkedWriteGuidance are read") {
  auto c = parse_ok(R"({"kiro":{"maxRequestBytes":3000000,"chunkedWriteGuidance":false}})");
  CHECK(c.kiro.max_request_bytes == 3'000'000);
  CHECK_FALSE(c.kiro.chunked_write_guidance);
  CHECK(masked_view(c)["kiro"]["maxRequestBytes"] == 3'000'000);
}

TEST_CASE("a request limit out of range or of the wrong type is refused with the key named") {
  auto error = [](std::string_view text) {
    auto cfg = parse_server_config(text, "server-config.json");
    REQUIRE_FALSE(cfg.ok());
    return cfg.error();
  };
  auto small = error(R"({"kiro":{"maxRequestBytes":1000}})");
  CHECK(small.key == "kiro.maxRequestBytes");
  CHECK(small.message == "expected an integer between 16384 and 1073741824, got 1000");
  CHECK(error(R"({"kiro":{"maxRequestBytes":"4MB"}})").message == "expected a number, got string");
  CHECK(error(R"({"kiro":{"chunkedWriteGuidance":"yes"}})").key == "kiro.chunkedWriteGuidance");
}
