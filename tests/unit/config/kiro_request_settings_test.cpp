// The Kiro request settings in server-config.json's kiro section.

#include <doctest/doctest.h>

#include "shared/config/server_config.hpp"

using namespace kb::config;

namespace {

server_config parse_ok(std::string_view text) {
  auto cfg = parse_server_config(text, "server-config.json");
  if (!cfg) FAIL(cfg.error().to_string());
  return *cfg;
}

} // namespace

TEST_CASE("by default the write guidance is on") {
  auto c = parse_ok("{}");
  CHECK(c.kiro.chunked_write_guidance);
  CHECK(masked_view(c)["kiro"]["chunkedWriteGuidance"] == true);
}

TEST_CASE("kiro.chunkedWriteGuidance is read and must be a boolean") {
  CHECK_FALSE(parse_ok(R"({"kiro":{"chunkedWriteGuidance":false}})").kiro.chunked_write_guidance);
  auto cfg = parse_server_config(R"({"kiro":{"chunkedWriteGuidance":"yes"}})", "server-config.json");
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.error().key == "kiro.chunkedWriteGuidance");
}
