#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "shared/claude/messages_request.hpp"

using namespace kb;
using namespace kb::claude;

namespace {

std::string read_fixture(const char* name) {
  std::ifstream in(std::string(KB_SOURCE_DIR) + "/tests/fixtures/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

TEST_CASE("the captured Claude Code request parses") {
  const std::string body = read_fixture("claude-code-request.json");
  auto conv = parse_messages_request(body);
  REQUIRE_MESSAGE(conv.ok(), (conv.ok() ? std::string() : conv.error().message));

  CHECK(conv->model == "claude-opus-4-8");
  CHECK(conv->max_tokens == 64000);
  CHECK(conv->stream);
  CHECK(conv->session_id == "11111111-2222-4333-8444-555555555555");
  CHECK(conv->thinking.mode == thinking_mode::adaptive);
  CHECK(conv->thinking.effort == "high");

  CHECK(conv->tools.size() == 24);
  CHECK(conv->tools.front().name == "Agent");
  CHECK(conv->tools.back().name == "Write");
  for (const auto& tool : conv->tools) {
    CHECK_FALSE(tool.description.empty());
    CHECK(tool.input_schema_json.front() == '{');
  }

  // The system turn that followed the prompt is folded into the system text,
  // after the top-level blocks, and the billing header block is gone.
  REQUIRE(conv->turns.size() == 1);
  CHECK(conv->turns[0].role == role::user);
  CHECK(conv->turns[0].text.ends_with("</system-reminder>\n\n\nList the files here"));
  CHECK(conv->system.starts_with("You are a Claude agent, built on Anthropic's Claude Agent SDK.\n\n"));
  CHECK(conv->system.find("x-anthropic-billing-header") == std::string::npos);
  const auto folded = conv->system.find("\n\nAvailable agent types for the Agent tool:");
  CHECK(folded != std::string::npos);
  CHECK(folded > conv->system.find("You are an interactive agent"));
}

TEST_CASE("the captured Claude Code request also parses as count_tokens") {
  auto conv = parse_count_tokens_request(read_fixture("claude-code-request.json"));
  REQUIRE(conv.ok());
  CHECK(conv->tools.size() == 24);
  CHECK(conv->max_tokens == 0);
  CHECK_FALSE(conv->stream);
}
