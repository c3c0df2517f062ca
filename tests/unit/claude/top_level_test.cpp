#include <doctest/doctest.h>

#include "tests/unit/claude/request_test_support.hpp"

using namespace kb;
using namespace kb::claude;
using kb::claude::test::body_with;
using kb::claude::test::count_tokens_error;
using kb::claude::test::messages_error;

TEST_CASE("a minimal request becomes a one-turn conversation with defaults") {
  auto conv = parse_messages_request(body_with(""));
  REQUIRE(conv.ok());
  CHECK(conv->model == "claude-sonnet-4-5");
  CHECK(conv->max_tokens == 1024);
  CHECK(conv->request_id.empty());
  CHECK(conv->upstream_model.empty());
  CHECK(conv->system.empty());
  REQUIRE(conv->turns.size() == 1);
  CHECK(conv->turns[0].role == role::user);
  CHECK(conv->turns[0].text == "hi");
  CHECK(conv->tools.empty());
  CHECK(conv->tool_choice == tool_choice_mode::auto_);
  CHECK(conv->thinking.mode == thinking_mode::off);
  CHECK_FALSE(conv->stream);
  CHECK(conv->stop_sequences.empty());
  CHECK(conv->session_id.empty());
}

TEST_CASE("a missing max_tokens is a field-required error") {
  CHECK(messages_error(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})") ==
        "max_tokens: Field required");
}

TEST_CASE("max_tokens below one is rejected") {
  CHECK(messages_error(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})") ==
        "max_tokens: Input should be greater than or equal to 1");
}

TEST_CASE("max_tokens must be an integer") {
  CHECK(messages_error(R"({"model":"m","max_tokens":"5","messages":[{"role":"user","content":"x"}]})") ==
        "max_tokens: Input should be a valid integer");
  CHECK(messages_error(R"({"model":"m","max_tokens":5.5,"messages":[{"role":"user","content":"x"}]})") ==
        "max_tokens: Input should be a valid integer, got a number with a fractional part");
  CHECK(messages_error(R"({"model":"m","max_tokens":4294967296,"messages":[{"role":"user","content":"x"}]})") ==
        "max_tokens: Input should be less than or equal to 2147483647");
}

TEST_CASE("an integral floating max_tokens is accepted") {
  auto conv = parse_messages_request(R"({"model":"m","max_tokens":2048.0,"messages":[{"role":"user","content":"x"}]})");
  REQUIRE(conv.ok());
  CHECK(conv->max_tokens == 2048);
}

TEST_CASE("a missing model is a field-required error") {
  CHECK(messages_error(R"({"max_tokens":5,"messages":[{"role":"user","content":"x"}]})") ==
        "model: Field required");
}

TEST_CASE("an empty or non-string model is rejected") {
  CHECK(messages_error(R"({"model":"","max_tokens":5,"messages":[{"role":"user","content":"x"}]})") ==
        "model: String should have at least 1 character");
  CHECK(messages_error(R"({"model":7,"max_tokens":5,"messages":[{"role":"user","content":"x"}]})") ==
        "model: Input should be a valid string");
}

TEST_CASE("missing messages is a field-required error") {
  CHECK(messages_error(R"({"model":"m","max_tokens":5})") == "messages: Field required");
}

TEST_CASE("an empty messages array is rejected") {
  CHECK(messages_error(body_with("", "[]")) == "messages: at least one message is required");
}

TEST_CASE("messages that are not a list are rejected") {
  CHECK(messages_error(body_with("", R"({"role":"user"})")) == "messages: Input should be a valid list");
}

TEST_CASE("a message that is not an object is rejected") {
  CHECK(messages_error(body_with("", R"([{"role":"user","content":"a"},"hello"])")) ==
        "messages.1: Input should be a valid dictionary");
}

TEST_CASE("an unknown role names the message index") {
  CHECK(messages_error(body_with("", R"([{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"tool","content":"c"}])")) ==
        "messages.2.role: Input should be 'user', 'assistant' or 'system'");
  CHECK(messages_error(body_with("", R"([{"role":5,"content":"a"}])")) ==
        "messages.0.role: Input should be 'user', 'assistant' or 'system'");
  CHECK(messages_error(body_with("", R"([{"content":"a"}])")) == "messages.0.role: Field required");
}

TEST_CASE("a message without content is rejected") {
  CHECK(messages_error(body_with("", R"([{"role":"user"}])")) == "messages.0.content: Field required");
}

TEST_CASE("content that is neither string nor list is rejected") {
  CHECK(messages_error(body_with("", R"([{"role":"user","content":{"type":"text"}}])")) ==
        "messages.0.content: Input should be a valid string or a list of content blocks");
}

TEST_CASE("empty content is allowed only in the final assistant message") {
  CHECK(messages_error(body_with("", R"([{"role":"user","content":""}])")) ==
        "messages.0: all messages must have non-empty content except for the optional final assistant message");
  CHECK(messages_error(body_with("", R"([{"role":"user","content":"a"},{"role":"assistant","content":[]},{"role":"user","content":"b"}])")) ==
        "messages.1: all messages must have non-empty content except for the optional final assistant message");
  auto conv = parse_messages_request(body_with("", R"([{"role":"user","content":"a"},{"role":"assistant","content":""}])"));
  REQUIRE(conv.ok());
  REQUIRE(conv->turns.size() == 2);
  CHECK(conv->turns[1].role == role::assistant);
  CHECK(conv->turns[1].text.empty());
}

TEST_CASE("system messages inside messages fold into the system prompt in order") {
  auto conv = parse_messages_request(body_with(
      R"(,"system":"top")",
      R"([{"role":"system","content":"first"},{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"user","content":"q2"},{"role":"system","content":[{"type":"text","text":"last","cache_control":{"type":"ephemeral"}}]}])"));
  REQUIRE(conv.ok());
  CHECK(conv->system == "top\n\nfirst\n\nlast");
  REQUIRE(conv->turns.size() == 3);
  CHECK(conv->turns[0].text == "q");
  CHECK(conv->turns[1].text == "a");
  CHECK(conv->turns[1].role == role::assistant);
  CHECK(conv->turns[2].text == "q2");
}

TEST_CASE("a system message without top-level system becomes the whole system prompt") {
  auto conv = parse_messages_request(body_with("", R"([{"role":"user","content":"q"},{"role":"system","content":"only"}])"));
  REQUIRE(conv.ok());
  CHECK(conv->system == "only");
}

TEST_CASE("a system message with a non-text block is rejected") {
  CHECK(messages_error(body_with("", R"([{"role":"user","content":"q"},{"role":"system","content":[{"type":"image"}]}])")) ==
        "messages.1.content.0.type: system messages may only contain text blocks");
}

TEST_CASE("a conversation of system messages only is rejected") {
  CHECK(messages_error(body_with("", R"([{"role":"system","content":"s"}])")) ==
        "messages: at least one user or assistant message is required");
}

TEST_CASE("a system prompt given as blocks is joined with blank lines") {
  auto conv = parse_messages_request(body_with(
      R"(,"system":[{"type":"text","text":"one"},{"type":"text","text":"two","cache_control":{"type":"ephemeral","ttl":"1h"}}])"));
  REQUIRE(conv.ok());
  CHECK(conv->system == "one\n\ntwo");
}

TEST_CASE("Claude Code's billing header block is left out of the system prompt") {
  auto conv = parse_messages_request(body_with(
      R"(,"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=sdk-cli;"},{"type":"text","text":"You are Claude."}])"));
  REQUIRE(conv.ok());
  CHECK(conv->system == "You are Claude.");
}

TEST_CASE("a malformed system prompt is rejected with its path") {
  CHECK(messages_error(body_with(R"(,"system":5)")) ==
        "system: Input should be a valid string or a list of text blocks");
  CHECK(messages_error(body_with(R"(,"system":[{"type":"image","text":"x"}])")) ==
        "system.0.type: Input should be 'text'");
  CHECK(messages_error(body_with(R"(,"system":[{"type":"text"}])")) == "system.0.text: Field required");
  CHECK(messages_error(body_with(R"(,"system":[{"type":"text","text":"a"},3])")) ==
        "system.1: Input should be a valid dictionary");
}

TEST_CASE("null optional fields are treated as absent") {
  auto conv = parse_messages_request(body_with(
      R"(,"system":null,"tools":null,"tool_choice":null,"thinking":null,"temperature":null,"stream":null,"metadata":null,"stop_sequences":null)"));
  REQUIRE(conv.ok());
  CHECK(conv->system.empty());
  CHECK_FALSE(conv->stream);
}

TEST_CASE("unknown top-level fields are ignored") {
  auto conv = parse_messages_request(body_with(
      R"(,"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},"output_config":{"effort":"low"},"container":"c","service_tier":"auto","mcp_servers":[],"whatever":[1,2,{"x":null}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns.size() == 1);
}

TEST_CASE("stream must be a boolean") {
  CHECK(messages_error(body_with(R"(,"stream":"true")")) == "stream: Input should be a valid boolean");
  auto conv = parse_messages_request(body_with(R"(,"stream":true)"));
  REQUIRE(conv.ok());
  CHECK(conv->stream);
}

TEST_CASE("temperature must be a number between 0 and 1") {
  CHECK(messages_error(body_with(R"(,"temperature":"hot")")) == "temperature: Input should be a valid number");
  CHECK(messages_error(body_with(R"(,"temperature":1.5)")) == "temperature: Input should be less than or equal to 1");
  CHECK(messages_error(body_with(R"(,"temperature":-0.1)")) == "temperature: Input should be greater than or equal to 0");
  CHECK(messages_error(body_with(R"(,"temperature":1)")) == "ok");
  CHECK(messages_error(body_with(R"(,"temperature":0.7)")) == "ok");
}

TEST_CASE("top_p and top_k are type-checked") {
  CHECK(messages_error(body_with(R"(,"top_p":true)")) == "top_p: Input should be a valid number");
  CHECK(messages_error(body_with(R"(,"top_p":2)")) == "top_p: Input should be less than or equal to 1");
  CHECK(messages_error(body_with(R"(,"top_k":"5")")) == "top_k: Input should be a valid integer");
  CHECK(messages_error(body_with(R"(,"top_k":-1)")) == "top_k: Input should be greater than or equal to 0");
  CHECK(messages_error(body_with(R"(,"top_p":0.9,"top_k":40)")) == "ok");
}

TEST_CASE("stop sequences must be a list of non-empty strings") {
  CHECK(messages_error(body_with(R"(,"stop_sequences":"END")")) == "stop_sequences: Input should be a valid list");
  CHECK(messages_error(body_with(R"(,"stop_sequences":["END",3])")) == "stop_sequences.1: Input should be a valid string");
  CHECK(messages_error(body_with(R"(,"stop_sequences":["END",""])")) ==
        "stop_sequences.1: String should have at least 1 character");
  auto conv = parse_messages_request(body_with(R"(,"stop_sequences":["END","\n\nHuman:"])"));
  REQUIRE(conv.ok());
  REQUIRE(conv->stop_sequences.size() == 2);
  CHECK(conv->stop_sequences[0] == "END");
  CHECK(conv->stop_sequences[1] == "\n\nHuman:");
}

TEST_CASE("metadata user_id must be a string") {
  CHECK(messages_error(body_with(R"(,"metadata":{"user_id":42})")) == "metadata.user_id: Input should be a valid string");
  CHECK(messages_error(body_with(R"(,"metadata":"u")")) == "metadata: Input should be a valid dictionary");
}

TEST_CASE("the session id comes from a JSON user_id") {
  auto conv = parse_messages_request(body_with(
      R"(,"metadata":{"user_id":"{\"device_id\":\"abc\",\"account_uuid\":\"\",\"session_id\":\"0d495258-a295-4c46-839b-d2e42f135c64\"}"})"));
  REQUIRE(conv.ok());
  CHECK(conv->session_id == "0d495258-a295-4c46-839b-d2e42f135c64");
}

TEST_CASE("the session id comes from an older Claude Code user_id") {
  auto conv = parse_messages_request(body_with(
      R"(,"metadata":{"user_id":"user_4f2a9c_account__session_7b1e3d2a-9c4f-4e5a-8b6d-1f2e3a4b5c6d"})"));
  REQUIRE(conv.ok());
  CHECK(conv->session_id == "7b1e3d2a-9c4f-4e5a-8b6d-1f2e3a4b5c6d");
}

TEST_CASE("a user_id without a session gives an empty session id") {
  auto conv = parse_messages_request(body_with(R"(,"metadata":{"user_id":"alice"})"));
  REQUIRE(conv.ok());
  CHECK(conv->session_id.empty());
}

TEST_CASE("count_tokens needs neither max_tokens nor stream") {
  auto conv = parse_count_tokens_request(
      R"({"model":"claude-opus-4-8","messages":[{"role":"user","content":"hi"}],"system":"s"})");
  REQUIRE(conv.ok());
  CHECK(conv->max_tokens == 0);
  CHECK(conv->system == "s");
  CHECK(conv->turns.size() == 1);
  CHECK(count_tokens_error(R"({"model":"m","messages":[]})") == "messages: at least one message is required");
  CHECK(count_tokens_error(R"({"messages":[{"role":"user","content":"x"}]})") == "model: Field required");
}

TEST_CASE("count_tokens checks the thinking budget without max_tokens") {
  CHECK(count_tokens_error(R"({"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":100}})") ==
        "thinking.budget_tokens: must be at least 1024");
  auto conv = parse_count_tokens_request(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":50000}})");
  REQUIRE(conv.ok());
  CHECK(conv->thinking.mode == thinking_mode::enabled);
  CHECK(conv->thinking.budget_tokens == 50000);
}
