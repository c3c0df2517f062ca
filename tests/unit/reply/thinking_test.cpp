#include <doctest/doctest.h>

#include <string>

#include "shared/reply/assembler.hpp"
#include "shared/reply/reply_ids.hpp"
#include "tests/unit/reply/sse_support.hpp"

using namespace kb;
using namespace kb::reply;
using namespace kb::reply::test;

namespace {

assembler_options thinking_options() {
  auto o = options();
  o.parse_thinking = true;
  return o;
}

std::string signature_of(std::string_view thinking) {
  signature_hasher h;
  h.feed(thinking);
  return h.signature();
}

std::string thinking_then_text(std::string_view thinking, std::string_view text) {
  boost::json::array content;
  content.push_back({{"type", "thinking"}, {"thinking", thinking}, {"signature", signature_of(thinking)}});
  if (!text.empty()) content.push_back({{"type", "text"}, {"text", text}});
  return boost::json::serialize(content);
}

std::string content_json(const assembler_options& opts, const std::vector<stream_event>& events,
                         std::string* stop_reason = nullptr) {
  assembler a(opts);
  std::string sse = a.begin();
  for (const auto& e : events) sse += a.on_event(e);
  sse += a.finish();
  if (stop_reason) *stop_reason = std::string(a.stop_reason());
  bool ok = false;
  auto content = content_of(sse, ok);
  if (!ok) return "<malformed SSE>";
  return boost::json::serialize(content);
}

constexpr std::string_view answer = "<thinking>\nLet me think.\n</thinking>\n\nThe answer is 4.";

} // namespace

TEST_CASE("a thinking block streams thinking deltas, a signature, then the text block") {
  auto sig = signature_of("Let me think.");
  CHECK(sig.size() == 44);
  auto sse = run(thinking_options(), {text(std::string(answer))});
  std::string expected =
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me think.\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"" + sig + "\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"The answer is 4.\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":12,\"output_tokens\":9,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  auto after_start = sse.find("event: content_block_start");
  REQUIRE(after_start != std::string::npos);
  CHECK(sse.substr(after_start) == expected);
}

TEST_CASE("thinking tags split at every possible chunk boundary give the same blocks") {
  auto expected = thinking_then_text("Let me think.", "The answer is 4.");
  std::string input(answer);
  for (size_t i = 0; i <= input.size(); ++i) {
    CHECK(content_json(thinking_options(), {text(input.substr(0, i)), text(input.substr(i))}) ==
          expected);
    for (size_t j = i; j <= input.size(); j += 3)
      CHECK(content_json(thinking_options(), {text(input.substr(0, i)), text(input.substr(i, j - i)),
                                              text(input.substr(j))}) == expected);
  }
  std::vector<stream_event> bytewise;
  for (char c : input) bytewise.push_back(text(std::string(1, c)));
  CHECK(content_json(thinking_options(), bytewise) == expected);
}

TEST_CASE("whitespace before the opening tag and after the block is dropped") {
  CHECK(content_json(thinking_options(), {text("\n  <thinking>a</thinking>\n\n\n\n  Hi")}) ==
        thinking_then_text("a", "Hi"));
}

TEST_CASE("an opening tag that is not at the start is plain text") {
  std::string input = "Sure. <thinking>x</thinking>\n\nY";
  CHECK(content_json(thinking_options(), {text(input)}) ==
        R"([{"type":"text","text":"Sure. <thinking>x</thinking>\n\nY"}])");
}

TEST_CASE("thinking tags are plain text when the request did not enable thinking") {
  CHECK(content_json(options(), {text(std::string(answer))}) ==
        R"([{"type":"text","text":"<thinking>\nLet me think.\n</thinking>\n\nThe answer is 4."}])");
}

TEST_CASE("a closing tag in backticks or followed by text does not end thinking") {
  CHECK(content_json(thinking_options(),
                     {text("<thinking>\nUse `</thinking>` to close; a</thinking> b\n</thinking>\n\nDone")}) ==
        thinking_then_text("Use `</thinking>` to close; a</thinking> b", "Done"));
}

TEST_CASE("output that ends inside thinking gets a blank text block and max_tokens") {
  std::string stop_reason;
  CHECK(content_json(thinking_options(), {text("<thinking>\nhmm, let me")}, &stop_reason) ==
        thinking_then_text("hmm, let me", " "));
  CHECK(stop_reason == "max_tokens");
}

TEST_CASE("a closing tag followed only by whitespace at the end closes thinking") {
  std::string stop_reason;
  CHECK(content_json(thinking_options(), {text("<thinking>\nx\n</thinking>\n")}, &stop_reason) ==
        thinking_then_text("x", " "));
  CHECK(stop_reason == "max_tokens");
}

TEST_CASE("a tool call right after the closing tag ends thinking") {
  std::string stop_reason;
  auto json = content_json(thinking_options(),
                           {text("<thinking>\nplan\n</thinking>"), tool("t1", "Read", R"({"path":"a"})", true)},
                           &stop_reason);
  CHECK(json == R"([{"type":"thinking","thinking":"plan","signature":")" + signature_of("plan") +
                    R"("},{"type":"tool_use","id":"t1","name":"Read","input":{"path":"a"}}])");
  CHECK(stop_reason == "tool_use");
}

TEST_CASE("the thinking signature is deterministic and depends on the text") {
  CHECK(signature_of("abc") == signature_of("abc"));
  CHECK(signature_of("abc") != signature_of("abd"));
  signature_hasher pieces;
  pieces.feed("a");
  pieces.feed("bc");
  CHECK(pieces.signature() == signature_of("abc"));
  CHECK_FALSE(signature_hasher{}.signature().empty());
}

TEST_CASE("the JSON reply carries the thinking block with its signature") {
  auto opts = thinking_options();
  opts.stream = false;
  assembler a(opts);
  a.on_event(text(std::string(answer)));
  a.finish();
  auto expected = R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":)" +
                  thinking_then_text("Let me think.", "The answer is 4.") +
                  R"(,"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}})";
  CHECK(a.message_json() == expected);
}
