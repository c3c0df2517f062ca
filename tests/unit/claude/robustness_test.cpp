#include <doctest/doctest.h>

#include <string>

#include "tests/unit/claude/request_test_support.hpp"

using namespace kb;
using namespace kb::claude;
using kb::claude::test::body_with;
using kb::claude::test::count_tokens_error;
using kb::claude::test::messages_error;

TEST_CASE("a body that is not JSON is a 400 naming the offset") {
  CHECK(messages_error("hello") == "body: invalid JSON at offset 0: syntax error");
  CHECK(messages_error(R"({"model":tru})") == "body: invalid JSON at offset 9: syntax error");
  CHECK(messages_error("") == "body: invalid JSON at offset 0: incomplete JSON");
}

TEST_CASE("a truncated body is a 400 at the end of the input") {
  const std::string full = body_with("");
  const std::string cut = full.substr(0, 30);
  CHECK(messages_error(cut) == "body: invalid JSON at offset 30: incomplete JSON");
}

TEST_CASE("trailing data, comments and trailing commas are not JSON") {
  const std::string valid = body_with("");
  CHECK(messages_error(valid + "x") ==
        "body: invalid JSON at offset " + std::to_string(valid.size()) + ": extra data");
  CHECK(messages_error(R"({"model":"m",})") == "body: invalid JSON at offset 13: syntax error");
  CHECK(messages_error("{/*c*/}") == "body: invalid JSON at offset 1: syntax error");
}

TEST_CASE("invalid UTF-8 inside a string is rejected") {
  CHECK(messages_error("{\"model\":\"\xff\"}") == "body: invalid JSON at offset 10: syntax error");
}

TEST_CASE("a body that is an array or a scalar is not an object") {
  CHECK(messages_error("[]") == "body: must be a JSON object");
  CHECK(messages_error("[{\"model\":\"m\"}]") == "body: must be a JSON object");
  CHECK(messages_error("42") == "body: must be a JSON object");
  CHECK(messages_error("null") == "body: must be a JSON object");
  CHECK(count_tokens_error("\"s\"") == "body: must be a JSON object");
}

TEST_CASE("deep nesting in a tool schema is rejected without a crash") {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  const std::string body = body_with(R"(,"tools":[{"name":"t","input_schema":{"x":)" + deep + "}}]");
  // Four levels are open when the run of brackets starts: the 253rd bracket is too deep.
  const std::size_t too_deep_at = body.find("[[[[") + 252;
  CHECK(too_deep_at == 384);
  CHECK(messages_error(body) == "body: invalid JSON at offset 384: nested deeper than 256 levels");
}

TEST_CASE("nesting within the depth limit is accepted and serialized") {
  const std::string nested = std::string(200, '[') + std::string(200, ']');
  auto conv = parse_messages_request(body_with(R"(,"tools":[{"name":"t","input_schema":{"x":)" + nested + "}}]"));
  REQUIRE(conv.ok());
  CHECK(conv->tools[0].input_schema_json == R"({"x":)" + nested + "}");
}

TEST_CASE("wrong JSON types at every level are 400s") {
  const char* cases[][2] = {
      {R"({"model":"m","max_tokens":true,"messages":[{"role":"user","content":"x"}]})",
       "max_tokens: Input should be a valid integer"},
      {R"({"model":"m","max_tokens":9,"messages":null})", "messages: Input should be a valid list"},
      {R"({"model":"m","max_tokens":9,"messages":[[]]})", "messages.0: Input should be a valid dictionary"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":null}]})",
       "messages.0.content: Input should be a valid string or a list of content blocks"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":[null]}]})",
       "messages.0.content.0: Input should be a valid dictionary"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":[{"type":"image","source":[]}]}]})",
       "messages.0.content.0.source: Input should be a valid dictionary"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":5}}]}]})",
       "messages.0.content.0.source.data: Input should be a valid string"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":{}}]}]}]})",
       "messages.0.content.0.content.0.text: Input should be a valid string"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":"x"}],"tools":[{"name":["a"],"input_schema":{}}]})",
       "tools.0.name: Input should be a valid string"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":"x"}],"thinking":{"type":["enabled"]}})",
       "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'"},
      {R"({"model":"m","max_tokens":9,"messages":[{"role":"user","content":"x"}],"metadata":{"user_id":[]}})",
       "metadata.user_id: Input should be a valid string"},
      {R"({"model":{},"max_tokens":9,"messages":[{"role":"user","content":"x"}]})", "model: Input should be a valid string"},
  };
  for (const auto& c : cases) {
    CAPTURE(c[0]);
    CHECK(messages_error(c[0]) == c[1]);
  }
}

TEST_CASE("every prefix of a valid request is handled without a crash") {
  const std::string full = body_with(
      R"(,"system":[{"type":"text","text":"s"}],"tools":[{"name":"a","input_schema":{"type":"object"}}],"thinking":{"type":"adaptive"},"metadata":{"user_id":"{\"session_id\":\"x\"}"})",
      R"([{"role":"user","content":[{"type":"text","text":"a"}]},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"a","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"r"}]}])");
  REQUIRE(messages_error(full) == "ok");
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto parsed = parse_messages_request(std::string_view(full).substr(0, n));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.starts_with("body: invalid JSON at offset "));
  }
}

TEST_CASE("error messages quote hostile block types as valid JSON") {
  auto parsed = parse_messages_request(body_with("", "[{\"role\":\"user\",\"content\":[{\"type\":\"a\\\"b\\u0000c\"}]}]"));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message == std::string("messages.0.content.0.type: unknown content block type 'a\"b") + '\0' + "c'");
  CHECK(to_json(parsed.error(), "req_1") ==
        R"({"type":"error","error":{"type":"invalid_request_error","message":"messages.0.content.0.type: unknown content block type 'a\"b\u0000c'"},"request_id":"req_1"})");
}
