#include <doctest/doctest.h>

#include "tests/unit/claude/request_test_support.hpp"

using namespace kb;
using namespace kb::claude;
using kb::claude::test::body_with;
using kb::claude::test::body_with_content;
using kb::claude::test::messages_error;

namespace {

constexpr std::string_view png_base64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

std::string image_block(std::string_view media_type, std::string_view data) {
  return R"({"type":"image","source":{"type":"base64","media_type":")" + std::string(media_type) +
         R"(","data":")" + std::string(data) + R"("}})";
}

} // namespace

TEST_CASE("several text blocks are joined with newlines") {
  auto conv = parse_messages_request(body_with_content(
      "user", R"([{"type":"text","text":"one"},{"type":"text","text":"two","cache_control":{"type":"ephemeral"}}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[0].text == "one\ntwo");
}

TEST_CASE("a text block without text is rejected") {
  CHECK(messages_error(body_with_content("user", R"([{"type":"text"}])")) == "messages.0.content.0.text: Field required");
  CHECK(messages_error(body_with_content("user", R"([{"type":"text","text":1}])")) ==
        "messages.0.content.0.text: Input should be a valid string");
}

TEST_CASE("an unknown block type is named with its path") {
  CHECK(messages_error(body_with_content("user", R"([{"type":"text","text":"a"},{"type":"foo"}])")) ==
        "messages.0.content.1.type: unknown content block type 'foo'");
  CHECK(messages_error(body_with_content("user", R"([{"text":"a"}])")) == "messages.0.content.0.type: Field required");
  CHECK(messages_error(body_with_content("user", R"([{"type":null}])")) ==
        "messages.0.content.0.type: Input should be a valid string");
  CHECK(messages_error(body_with_content("user", R"(["text"])")) ==
        "messages.0.content.0: Input should be a valid dictionary");
}

TEST_CASE("a base64 image becomes an image of the turn") {
  auto conv = parse_messages_request(body_with_content(
      "user", "[" + image_block("image/png", png_base64) + R"(,{"type":"text","text":"what is this?"}])"));
  REQUIRE(conv.ok());
  REQUIRE(conv->turns[0].images.size() == 1);
  CHECK(conv->turns[0].images[0].media_type == "image/png");
  CHECK(conv->turns[0].images[0].data == png_base64);
  CHECK(conv->turns[0].text == "what is this?");
}

TEST_CASE("a data URL prefix is stripped from image data") {
  auto conv = parse_messages_request(body_with_content(
      "user", "[" + image_block("image/jpeg", "data:image/jpeg;base64,/9j/4AAQSkZJRg==") + "]"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[0].images[0].media_type == "image/jpeg");
  CHECK(conv->turns[0].images[0].data == "/9j/4AAQSkZJRg==");
}

TEST_CASE("an unsupported image media type is rejected") {
  CHECK(messages_error(body_with_content("user", "[" + image_block("image/bmp", "AAAA") + "]")) ==
        "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
  CHECK(messages_error(body_with_content("user", R"([{"type":"image","source":{"type":"base64","data":"AAAA"}}])")) ==
        "messages.0.content.0.source.media_type: Field required");
}

TEST_CASE("image data that is not base64 is rejected") {
  CHECK(messages_error(body_with_content("user", "[" + image_block("image/png", "not base64!") + "]")) ==
        "messages.0.content.0.source.data: Input should be valid base64");
  CHECK(messages_error(body_with_content("user", "[" + image_block("image/png", "") + "]")) ==
        "messages.0.content.0.source.data: String should have at least 1 character");
  CHECK(messages_error(body_with_content("user", "[" + image_block("image/png", "data:image/png,AAAA") + "]")) ==
        "messages.0.content.0.source.data: Input should be valid base64");
}

TEST_CASE("an image URL gets a clear unsupported error") {
  CHECK(messages_error(body_with_content("user", R"([{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}])")) ==
        "messages.0.content.0.source: image URLs are not supported by this gateway; send the image as base64");
  CHECK(messages_error(body_with_content("user", R"([{"type":"image","source":{"type":"file","file_id":"f"}}])")) ==
        "messages.0.content.0.source: file references are not supported by this gateway; send the image as base64");
  CHECK(messages_error(body_with_content("user", R"([{"type":"image","source":{"type":"svg"}}])")) ==
        "messages.0.content.0.source.type: Input should be 'base64' or 'url'");
  CHECK(messages_error(body_with_content("user", R"([{"type":"image"}])")) ==
        "messages.0.content.0.source: Field required");
}

TEST_CASE("an image in an assistant message is misplaced") {
  CHECK(messages_error(body_with_content("assistant", "[" + image_block("image/png", png_base64) + "]")) ==
        "messages.0.content.0: image blocks are only allowed in user messages");
}

TEST_CASE("an assistant tool_use becomes a tool call with serialized input") {
  auto conv = parse_messages_request(body_with("", R"([{"role":"user","content":"ls"},{"role":"assistant","content":[{"type":"text","text":"Running"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls -la","timeout":5}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"a.txt"}]}])"));
  REQUIRE(conv.ok());
  REQUIRE(conv->turns.size() == 3);
  const auto& assistant = conv->turns[1];
  CHECK(assistant.text == "Running");
  REQUIRE(assistant.tool_calls.size() == 1);
  CHECK(assistant.tool_calls[0].id == "toolu_1");
  CHECK(assistant.tool_calls[0].name == "Bash");
  CHECK(assistant.tool_calls[0].input_json == R"({"command":"ls -la","timeout":5})");
  REQUIRE(conv->turns[2].tool_outcomes.size() == 1);
  CHECK(conv->turns[2].tool_outcomes[0].tool_use_id == "toolu_1");
  CHECK(conv->turns[2].tool_outcomes[0].text == "a.txt");
  CHECK_FALSE(conv->turns[2].tool_outcomes[0].is_error);
}

TEST_CASE("a tool_use without input gets an empty object") {
  auto conv = parse_messages_request(body_with_content("assistant", R"([{"type":"tool_use","id":"t","name":"Now"}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[0].tool_calls[0].input_json == "{}");
}

TEST_CASE("a malformed tool_use is rejected with its path") {
  CHECK(messages_error(body_with_content("assistant", R"([{"type":"tool_use","name":"Bash","input":{}}])")) ==
        "messages.0.content.0.id: Field required");
  CHECK(messages_error(body_with_content("assistant", R"([{"type":"tool_use","id":"t","input":{}}])")) ==
        "messages.0.content.0.name: Field required");
  CHECK(messages_error(body_with_content("assistant", R"([{"type":"tool_use","id":"t","name":"","input":{}}])")) ==
        "messages.0.content.0.name: String should have at least 1 character");
  CHECK(messages_error(body_with_content("assistant", R"([{"type":"tool_use","id":"t","name":"x","input":"ls"}])")) ==
        "messages.0.content.0.input: Input should be a valid dictionary");
}

TEST_CASE("a tool_use in a user message is misplaced") {
  CHECK(messages_error(body_with_content("user", R"([{"type":"text","text":"a"},{"type":"tool_use","id":"t","name":"x","input":{}}])")) ==
        "messages.0.content.1: tool_use blocks are only allowed in assistant messages");
}

TEST_CASE("a tool_result in an assistant message is misplaced") {
  CHECK(messages_error(body_with_content("assistant", R"([{"type":"tool_result","tool_use_id":"t","content":"x"}])")) ==
        "messages.0.content.0: tool_result blocks are only allowed in user messages");
}

TEST_CASE("a tool_result with block content keeps text, images and the error flag") {
  auto conv = parse_messages_request(body_with_content(
      "user", R"([{"type":"tool_result","tool_use_id":"toolu_9","is_error":true,"content":[{"type":"text","text":"line 1"},)" +
                  image_block("image/gif", "R0lGODlhAQABAAAAACw=") + R"(,{"type":"text","text":"line 2"}]}])"));
  REQUIRE(conv.ok());
  const auto& outcome = conv->turns[0].tool_outcomes.at(0);
  CHECK(outcome.tool_use_id == "toolu_9");
  CHECK(outcome.is_error);
  CHECK(outcome.text == "line 1\nline 2");
  REQUIRE(outcome.images.size() == 1);
  CHECK(outcome.images[0].media_type == "image/gif");
  CHECK(outcome.images[0].data == "R0lGODlhAQABAAAAACw=");
}

TEST_CASE("a tool_result without content has empty text") {
  auto conv = parse_messages_request(body_with_content("user", R"([{"type":"tool_result","tool_use_id":"t"}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[0].tool_outcomes.at(0).text.empty());
}

TEST_CASE("Claude Code's tool references in a tool_result become text") {
  auto conv = parse_messages_request(body_with_content(
      "user", R"([{"type":"tool_result","tool_use_id":"t","content":[{"type":"tool_reference","tool_name":"mcp__github__create_issue"}]}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[0].tool_outcomes.at(0).text == "Tool loaded: mcp__github__create_issue");
}

TEST_CASE("a malformed tool_result is rejected with its path") {
  CHECK(messages_error(body_with_content("user", R"([{"type":"tool_result","content":"x"}])")) ==
        "messages.0.content.0.tool_use_id: Field required");
  CHECK(messages_error(body_with_content("user", R"([{"type":"tool_result","tool_use_id":"t","is_error":"yes"}])")) ==
        "messages.0.content.0.is_error: Input should be a valid boolean");
  CHECK(messages_error(body_with_content("user", R"([{"type":"tool_result","tool_use_id":"t","content":7}])")) ==
        "messages.0.content.0.content: Input should be a valid string or a list of content blocks");
  CHECK(messages_error(body_with_content("user", R"([{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a"},{"type":"tool_use"}]}])")) ==
        "messages.0.content.0.content.1.type: unknown content block type 'tool_use'");
}

TEST_CASE("prior thinking is kept and redacted thinking is dropped") {
  auto conv = parse_messages_request(body_with("", R"([{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"step 1","signature":"sig"},{"type":"redacted_thinking","data":"enc"},{"type":"thinking","thinking":"step 2","signature":"sig"},{"type":"text","text":"answer"}]}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[1].thinking == "step 1\nstep 2");
  CHECK(conv->turns[1].text == "answer");
}

TEST_CASE("thinking in a user message is misplaced") {
  CHECK(messages_error(body_with_content("user", R"([{"type":"thinking","thinking":"x","signature":"s"}])")) ==
        "messages.0.content.0: thinking blocks are only allowed in assistant messages");
  CHECK(messages_error(body_with_content("assistant", R"([{"type":"thinking","signature":"s"}])")) ==
        "messages.0.content.0.thinking: Field required");
}

TEST_CASE("a text document becomes text headed by its title") {
  auto conv = parse_messages_request(body_with_content(
      "user", R"([{"type":"document","title":"notes.txt","source":{"type":"text","media_type":"text/plain","data":"buy milk"}},{"type":"text","text":"summarize"}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[0].text == "notes.txt\nbuy milk\nsummarize");
}

TEST_CASE("a document with another source gets a clear unsupported error") {
  CHECK(messages_error(body_with_content("user", R"([{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}])")) ==
        "messages.0.content.0.source.type: document source 'base64' is not supported by this gateway; send the document as source type 'text'");
  CHECK(messages_error(body_with_content("user", R"([{"type":"document","source":{"type":"text"}}])")) ==
        "messages.0.content.0.source.data: Field required");
}

TEST_CASE("server tool blocks are dropped without error") {
  auto conv = parse_messages_request(body_with("", R"([{"role":"user","content":"news?"},{"role":"assistant","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"news"}},{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},{"type":"text","text":"Here is the news"}]}])"));
  REQUIRE(conv.ok());
  CHECK(conv->turns[1].text == "Here is the news");
  CHECK(conv->turns[1].tool_calls.empty());
}
