#include <doctest/doctest.h>

#include "tests/unit/claude/request_test_support.hpp"

using namespace kb;
using namespace kb::claude;
using kb::claude::test::body_with;
using kb::claude::test::messages_error;

TEST_CASE("tools keep name, description and serialized schema") {
  auto conv = parse_messages_request(body_with(
      R"(,"tools":[{"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"cache_control":{"type":"ephemeral"}},{"name":"mcp__github__create_issue","input_schema":{"type":"object"},"defer_loading":true}])"));
  REQUIRE(conv.ok());
  REQUIRE(conv->tools.size() == 2);
  CHECK(conv->tools[0].name == "get_weather");
  CHECK(conv->tools[0].description == "Weather now");
  CHECK(conv->tools[0].input_schema_json ==
        R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})");
  CHECK(conv->tools[1].name == "mcp__github__create_issue");
  CHECK(conv->tools[1].description.empty());
  CHECK(conv->tools[1].input_schema_json == R"({"type":"object"})");
}

TEST_CASE("a tool name must be present, short and plain") {
  CHECK(messages_error(body_with(R"(,"tools":"x")")) == "tools: Input should be a valid list");
  CHECK(messages_error(body_with(R"(,"tools":[{"input_schema":{}}])")) == "tools.0.name: Field required");
  CHECK(messages_error(body_with(R"(,"tools":[{"name":"a","input_schema":{}},{"name":"b","input_schema":{}},{"name":"c","input_schema":{}},{"name":"","input_schema":{}}])")) ==
        "tools.3.name: String should have at least 1 character");
  CHECK(messages_error(body_with(R"(,"tools":[{"name":"has space","input_schema":{}}])")) ==
        "tools.0.name: String should match pattern '^[a-zA-Z0-9_.:-]{1,256}$'");
  CHECK(messages_error(body_with(R"(,"tools":[{"name":")" + std::string(257, 'a') + R"(","input_schema":{}}])")) ==
        "tools.0.name: String should have at most 256 characters");
  CHECK(messages_error(body_with(R"(,"tools":[{"name":")" + std::string(256, 'a') + R"(","input_schema":{}}])")) == "ok");
  CHECK(messages_error(body_with(R"(,"tools":[{"name":"server.tool:v1-x","input_schema":{}}])")) == "ok");
}

TEST_CASE("a tool schema must be an object") {
  CHECK(messages_error(body_with(R"(,"tools":[{"name":"a"}])")) == "tools.0.input_schema: Field required");
  CHECK(messages_error(body_with(R"(,"tools":[{"name":"a","input_schema":"{}"}])")) ==
        "tools.0.input_schema: Input should be a valid dictionary");
  CHECK(messages_error(body_with(R"(,"tools":[{"name":"a","description":5,"input_schema":{}}])")) ==
        "tools.0.description: Input should be a valid string");
  CHECK(messages_error(body_with(R"(,"tools":[7])")) == "tools.0: Input should be a valid dictionary");
}

TEST_CASE("duplicate tool names are rejected") {
  CHECK(messages_error(body_with(R"(,"tools":[{"name":"Bash","input_schema":{}},{"name":"Read","input_schema":{}},{"name":"Bash","input_schema":{}}])")) ==
        "tools.2.name: duplicate tool name 'Bash'");
}

TEST_CASE("web search and fetch server tools are dropped, other server tools kept") {
  auto conv = parse_messages_request(body_with(
      R"(,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5},{"type":"web_fetch_20250910","name":"web_fetch"},{"type":"bash_20250124","name":"bash"},{"type":"text_editor_20250728","name":"str_replace_based_edit_tool"},{"type":"custom","name":"mine","input_schema":{"type":"object"}}])"));
  REQUIRE(conv.ok());
  REQUIRE(conv->tools.size() == 3);
  CHECK(conv->tools[0].name == "bash");
  CHECK(conv->tools[0].input_schema_json == R"({"type":"object"})");
  CHECK(conv->tools[1].name == "str_replace_based_edit_tool");
  CHECK(conv->tools[2].name == "mine");
  CHECK(messages_error(body_with(R"(,"tools":[{"type":"custom","name":"mine"}])")) ==
        "tools.0.input_schema: Field required");
  CHECK(messages_error(body_with(R"(,"tools":[{"type":3,"name":"mine"}])")) ==
        "tools.0.type: Input should be a valid string");
}

TEST_CASE("tool_choice accepts auto, any, none and a named tool") {
  auto any = parse_messages_request(body_with(R"(,"tool_choice":{"type":"any","disable_parallel_tool_use":true})"));
  REQUIRE(any.ok());
  CHECK(any->tool_choice == tool_choice_mode::any);
  auto none = parse_messages_request(body_with(R"(,"tool_choice":{"type":"none"})"));
  REQUIRE(none.ok());
  CHECK(none->tool_choice == tool_choice_mode::none);
  auto named = parse_messages_request(body_with(R"(,"tool_choice":{"type":"tool","name":"get_weather"})"));
  REQUIRE(named.ok());
  CHECK(named->tool_choice == tool_choice_mode::tool);
  CHECK(named->tool_choice_name == "get_weather");
  auto automatic = parse_messages_request(body_with(R"(,"tool_choice":{"type":"auto"})"));
  REQUIRE(automatic.ok());
  CHECK(automatic->tool_choice == tool_choice_mode::auto_);
}

TEST_CASE("a malformed tool_choice is rejected") {
  CHECK(messages_error(body_with(R"(,"tool_choice":"auto")")) == "tool_choice: Input should be a valid dictionary");
  CHECK(messages_error(body_with(R"(,"tool_choice":{})")) == "tool_choice.type: Field required");
  CHECK(messages_error(body_with(R"(,"tool_choice":{"type":"some"})")) ==
        "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  CHECK(messages_error(body_with(R"(,"tool_choice":{"type":"tool"})")) == "tool_choice.name: Field required");
  CHECK(messages_error(body_with(R"(,"tool_choice":{"type":"auto","disable_parallel_tool_use":1})")) ==
        "tool_choice.disable_parallel_tool_use: Input should be a valid boolean");
}

TEST_CASE("enabled thinking keeps its budget") {
  auto enabled = parse_messages_request(
      R"({"model":"m","max_tokens":32000,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":10000}})");
  REQUIRE(enabled.ok());
  CHECK(enabled->thinking.mode == thinking_mode::enabled);
  CHECK(enabled->thinking.budget_tokens == 10000);
}

TEST_CASE("a thinking budget below 1024 or not below max_tokens is rejected") {
  CHECK(messages_error(body_with(R"(,"thinking":{"type":"enabled","budget_tokens":1024})")) ==
        "thinking.budget_tokens: must be at least 1024 and less than max_tokens");
  CHECK(messages_error(R"({"model":"m","max_tokens":32000,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":1023}})") ==
        "thinking.budget_tokens: must be at least 1024 and less than max_tokens");
  CHECK(messages_error(R"({"model":"m","max_tokens":32000,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":32000}})") ==
        "thinking.budget_tokens: must be at least 1024 and less than max_tokens");
  CHECK(messages_error(R"({"model":"m","max_tokens":32000,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled"}})") ==
        "thinking.budget_tokens: Field required");
  CHECK(messages_error(R"({"model":"m","max_tokens":32000,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":"2000"}})") ==
        "thinking.budget_tokens: Input should be a valid integer");
}

TEST_CASE("adaptive thinking takes its effort from output_config") {
  auto low = parse_messages_request(body_with(R"(,"thinking":{"type":"adaptive","display":"omitted"},"output_config":{"effort":"low"})"));
  REQUIRE(low.ok());
  CHECK(low->thinking.mode == thinking_mode::adaptive);
  CHECK(low->thinking.effort == "low");
  auto medium = parse_messages_request(body_with(R"(,"thinking":{"type":"adaptive"},"output_config":{"effort":"medium"})"));
  REQUIRE(medium.ok());
  CHECK(medium->thinking.effort == "medium");
  auto max = parse_messages_request(body_with(R"(,"thinking":{"type":"adaptive"},"output_config":{"effort":"max"})"));
  REQUIRE(max.ok());
  CHECK(max->thinking.effort == "high");
}

TEST_CASE("adaptive thinking defaults to high effort") {
  auto conv = parse_messages_request(body_with(R"(,"thinking":{"type":"adaptive"})"));
  REQUIRE(conv.ok());
  CHECK(conv->thinking.mode == thinking_mode::adaptive);
  CHECK(conv->thinking.effort == "high");
  CHECK(conv->thinking.budget_tokens == 0);
}

TEST_CASE("a malformed effort is rejected") {
  CHECK(messages_error(body_with(R"(,"thinking":{"type":"adaptive"},"output_config":{"effort":3})")) ==
        "output_config.effort: Input should be a valid string");
  CHECK(messages_error(body_with(R"(,"thinking":{"type":"adaptive"},"output_config":[])")) ==
        "output_config: Input should be a valid dictionary");
}

TEST_CASE("disabled thinking is off") {
  auto conv = parse_messages_request(body_with(R"(,"thinking":{"type":"disabled"})"));
  REQUIRE(conv.ok());
  CHECK(conv->thinking.mode == thinking_mode::off);
}

TEST_CASE("an unknown thinking type is rejected") {
  CHECK(messages_error(body_with(R"(,"thinking":{"type":"deep"})")) ==
        "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'");
  CHECK(messages_error(body_with(R"(,"thinking":{})")) == "thinking.type: Field required");
  CHECK(messages_error(body_with(R"(,"thinking":true)")) == "thinking: Input should be a valid dictionary");
}
