#include <doctest/doctest.h>

#include <string>

#include "shared/reply/assembler.hpp"
#include "tests/unit/reply/sse_support.hpp"

using namespace kb;
using namespace kb::reply;
using namespace kb::reply::test;

namespace {

std::string frame(std::string_view type, std::string_view data) {
  return "event: " + std::string(type) + "\ndata: " + std::string(data) + "\n\n";
}

const std::string message_start = frame(
    "message_start",
    R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}})");

std::string text_start(int index) {
  return frame("content_block_start",
               R"({"type":"content_block_start","index":)" + std::to_string(index) +
                   R"(,"content_block":{"type":"text","text":""}})");
}

std::string text_delta(int index, std::string_view json_text) {
  return frame("content_block_delta",
               R"({"type":"content_block_delta","index":)" + std::to_string(index) +
                   R"(,"delta":{"type":"text_delta","text":)" + std::string(json_text) + "}}");
}

std::string tool_start(int index, std::string_view id, std::string_view name) {
  return frame("content_block_start",
               R"({"type":"content_block_start","index":)" + std::to_string(index) +
                   R"(,"content_block":{"type":"tool_use","id":")" + std::string(id) +
                   R"(","name":")" + std::string(name) + R"(","input":{}}})");
}

std::string json_delta(int index, std::string_view json_text) {
  return frame("content_block_delta",
               R"({"type":"content_block_delta","index":)" + std::to_string(index) +
                   R"(,"delta":{"type":"input_json_delta","partial_json":)" +
                   std::string(json_text) + "}}");
}

std::string block_stop(int index) {
  return frame("content_block_stop",
               R"({"type":"content_block_stop","index":)" + std::to_string(index) + "}");
}

std::string ending(std::string_view stop_reason, int input_tokens, int output_tokens) {
  return frame("message_delta",
               R"({"type":"message_delta","delta":{"stop_reason":")" + std::string(stop_reason) +
                   R"(","stop_sequence":null},"usage":{"input_tokens":)" +
                   std::to_string(input_tokens) + R"(,"output_tokens":)" +
                   std::to_string(output_tokens) +
                   R"(,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}})") +
         frame("message_stop", R"({"type":"message_stop"})");
}

std::string stop_reason_of(std::string_view sse) {
  bool ok = false;
  auto events = parse_sse(sse, ok);
  const auto* delta = find_event(events, "message_delta");
  if (!ok || !delta) return "<malformed>";
  return std::string(delta->at("delta").at("stop_reason").as_string().c_str());
}

} // namespace

TEST_CASE("plain text streams one text_delta per chunk in a single block") {
  auto sse = run(options(), {text("Hello"), text(" world")});
  CHECK(sse == message_start + text_start(0) + text_delta(0, R"("Hello")") +
                   text_delta(0, R"(" world")") + block_stop(0) + ending("end_turn", 12, 2));
}

TEST_CASE("text then a fragmented tool call then text gives three blocks") {
  auto sse = run(options(), {text("Let me look."), tool("tooluse_a", "Read", R"({"pa)", false),
                             tool("tooluse_a", "Read", R"(th":"/tmp/x"})", true),
                             text("Done.")});
  // Output tokens: "Let me look." 4 + "Done." 2 + "Read" 1 + {"path":"/tmp/x"} 8.
  CHECK(sse == message_start + text_start(0) + text_delta(0, R"("Let me look.")") + block_stop(0) +
                   tool_start(1, "tooluse_a", "Read") +
                   json_delta(1, R"("{\"path\":\"/tmp/x\"}")") + block_stop(1) + text_start(2) +
                   text_delta(2, R"("Done.")") + block_stop(2) + ending("tool_use", 12, 15));
}

TEST_CASE("two sequential tools each become one complete block and stop_reason is tool_use") {
  auto sse = run(options(), {tool("t1", "Read", R"({"path":"a"})", true),
                             tool("t2", "Glob", "", false), tool("t2", "Glob", R"( {"pattern" : "*.cpp"} )", true)});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(boost::json::serialize(content) ==
        R"([{"type":"tool_use","id":"t1","name":"Read","input":{"path":"a"}},{"type":"tool_use","id":"t2","name":"Glob","input":{"pattern":"*.cpp"}}])");
  // The input is sent whole and normalized, in one delta.
  CHECK(sse.find(json_delta(1, R"("{\"pattern\":\"*.cpp\"}")")) != std::string::npos);
  CHECK(stop_reason_of(sse) == "tool_use");
}

TEST_CASE("a tool call with empty input gets an empty object") {
  auto sse = run(options(), {tool("t1", "List", "", true)});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(boost::json::serialize(content) ==
        R"([{"type":"tool_use","id":"t1","name":"List","input":{}}])");
}

TEST_CASE("a repeated tool id after its stop is ignored") {
  auto sse = run(options(), {tool("t1", "Read", R"({"path":"a"})", true),
                             tool("t1", "Read", R"({"path":"b"})", true)});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(content.size() == 1);
  CHECK(content[0].at("input").at("path") == "a");
}

TEST_CASE("a tool call cut by the end of the stream becomes a note and stop_reason is max_tokens") {
  auto sse = run(options(), {text("Writing the file."),
                             tool("t1", "Write", R"({"path":"a","content":"very long)", false)});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  REQUIRE(content.size() == 1);
  std::string note(content[0].at("text").as_string().c_str());
  CHECK(note.rfind("Writing the file.\n\n[The call of tool `Write` was cut off", 0) == 0);
  CHECK(sse.find("tool_use") == std::string::npos);
  CHECK(stop_reason_of(sse) == "max_tokens");
}

TEST_CASE("a cut call followed by a complete call leaves tool_use") {
  auto sse = run(options(), {tool("t1", "Write", R"({"path")", true),
                             tool("t2", "Read", R"({"path":"a"})", true)});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  REQUIRE(content.size() == 2);
  CHECK(content[0].at("type") == "text");
  CHECK(content[1].at("id") == "t2");
  CHECK(stop_reason_of(sse) == "tool_use");
}

TEST_CASE("ContentLengthExceededException ends the answer with max_tokens") {
  assembler a(options());
  std::string sse = a.begin();
  sse += a.on_event(text("Part of an answer"));
  sse += a.on_event(exception("ContentLengthExceededException", "Input is too long."));
  CHECK(a.stopped());
  CHECK_FALSE(a.pending_exception().has_value());
  sse += a.on_event(text(" ignored"));
  sse += a.finish();
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(boost::json::serialize(content) == R"([{"type":"text","text":"Part of an answer"}])");
  CHECK(a.stop_reason() == "max_tokens");
  CHECK(stop_reason_of(sse) == "max_tokens");
}

TEST_CASE("another exception stops the answer and fail emits an error event") {
  assembler a(options());
  std::string sse = a.begin();
  sse += a.on_event(text("Partial"));
  CHECK(a.started_output());
  sse += a.on_event(exception("ThrottlingException", "Too many requests"));
  CHECK(a.stopped());
  REQUIRE(a.pending_exception().has_value());
  CHECK(a.pending_exception()->name == "ThrottlingException");
  CHECK(a.pending_exception()->message == "Too many requests");
  auto error = a.fail(api_error{error_kind::overloaded, "Upstream throttled"}, "req_9");
  CHECK(error == frame("error",
                       R"({"type":"error","error":{"type":"overloaded_error","message":"Upstream throttled"},"request_id":"req_9"})"));
  CHECK(a.finish().empty());
}

TEST_CASE("output is not started before the first content block") {
  assembler a(options());
  a.begin();
  a.on_event(context_usage(10));
  a.on_event(text(""));
  CHECK_FALSE(a.started_output());
  a.on_event(text("x"));
  CHECK(a.started_output());
}

TEST_CASE("an empty answer still has one empty text block") {
  auto sse = run(options(), {});
  CHECK(sse == message_start + text_start(0) + block_stop(0) + ending("end_turn", 12, 1));
}

TEST_CASE("contextUsagePercentage becomes input_tokens of the context window") {
  assembler a(options());
  a.begin();
  a.on_event(text("Hi"));
  a.on_event(context_usage(42.5));
  auto tail = a.finish();
  CHECK(a.input_tokens() == 85000);
  CHECK(tail.find(R"("usage":{"input_tokens":85000,"output_tokens":1,)") != std::string::npos);

  auto opts = options();
  opts.context_window_tokens = 1000000;
  assembler big(opts);
  big.on_event(context_usage(1.23456));
  CHECK(big.input_tokens() == 12346);
}

TEST_CASE("without a contextUsage event input_tokens is the estimate") {
  assembler a(options());
  a.finish();
  CHECK(a.input_tokens() == 12);
}

TEST_CASE("a full context window turns end_turn into max_tokens") {
  auto sse = run(options(), {text("Hi"), context_usage(100)});
  CHECK(stop_reason_of(sse) == "max_tokens");
  CHECK(sse.find(R"("input_tokens":200000)") != std::string::npos);
}

TEST_CASE("a UTF-8 sequence split across chunks reaches the client whole") {
  std::string word = "\xE6\x97\xA5\xE6\x9C\xAC\xF0\x9F\x98\x80!"; // 日本😀!
  for (size_t cut = 1; cut < word.size(); ++cut) {
    auto sse = run(options(), {text(word.substr(0, cut)), text(word.substr(cut))});
    bool ok = false;
    auto content = content_of(sse, ok);
    REQUIRE(ok);
    REQUIRE(content.size() == 1);
    CHECK(std::string(content[0].at("text").as_string().c_str()) == word);
    CHECK(sse.find("\\ufffd") == std::string::npos);
  }
}

TEST_CASE("invalid UTF-8 from upstream becomes replacement characters in valid JSON") {
  auto sse = run(options(), {text("a\xFF"), text("b\xE6\x97")});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(std::string(content[0].at("text").as_string().c_str()) ==
        "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("a stop sequence split across chunks is caught and the text cut before it") {
  std::string answer = "Hello there END and more";
  for (size_t cut = 0; cut <= answer.size(); ++cut) {
    auto opts = options();
    opts.stop_sequences = {"END", "NEVER"};
    assembler a(opts);
    std::string sse = a.begin();
    sse += a.on_event(text(answer.substr(0, cut)));
    sse += a.on_event(text(answer.substr(cut)));
    CHECK(a.stopped());
    sse += a.on_event(text(" after the stop"));
    sse += a.finish();
    bool ok = false;
    auto content = content_of(sse, ok);
    REQUIRE(ok);
    CHECK(boost::json::serialize(content) == R"([{"type":"text","text":"Hello there "}])");
    CHECK(sse.find(R"("delta":{"stop_reason":"stop_sequence","stop_sequence":"END"})") !=
          std::string::npos);
    CHECK(a.stop_reason() == "stop_sequence");
    REQUIRE(a.stop_sequence() != nullptr);
    CHECK(*a.stop_sequence() == "END");
  }
}

TEST_CASE("held-back text is released when no stop sequence matches") {
  auto opts = options();
  opts.stop_sequences = {"STOP_HERE"};
  auto sse = run(opts, {text("almost STOP_HER"), text("! no: STOP_HE")});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(std::string(content[0].at("text").as_string().c_str()) == "almost STOP_HER! no: STOP_HE");
  CHECK(stop_reason_of(sse) == "end_turn");
}

TEST_CASE("the stop sequence hold-back never splits a UTF-8 character") {
  auto opts = options();
  opts.stop_sequences = {"XYZ"};
  assembler a(opts);
  a.begin();
  auto sse = a.on_event(text("ab\xE6\x97\xA5"));
  bool ok = false;
  auto events = parse_sse(sse, ok);
  REQUIRE(ok);
  // Two bytes are held back: the whole character waits, nothing is repaired
  // (message_start goes out with the first output).
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == "message_start");
  CHECK(events[2].data.at("delta").at("text") == "ab");
}

TEST_CASE("the non-stream reply carries content, stop reason and usage") {
  assembler a(options(false));
  CHECK(a.begin().empty());
  CHECK(a.on_event(text("Hello")).empty());
  CHECK(a.on_event(tool("t1", "Read", R"({"path":"a"})", true)).empty());
  CHECK(a.finish().empty());
  CHECK(a.message_json() ==
        R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello"},{"type":"tool_use","id":"t1","name":"Read","input":{"path":"a"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":8,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}})");
  CHECK(a.output_tokens() == 8); // Hello 1 + Read 1 + {"path":"a"} 6
}

TEST_CASE("fail in JSON mode returns the error body") {
  assembler a(options(false));
  a.on_event(exception("internalServerException", "boom"));
  CHECK(a.stopped());
  CHECK(a.fail(api_error{error_kind::api, "Upstream failed"}, "req_2") ==
        R"({"type":"error","error":{"type":"api_error","message":"Upstream failed"},"request_id":"req_2"})");
}

TEST_CASE("ping is Anthropic's exact keep-alive event") {
  assembler a(options());
  CHECK(a.ping() == "event: ping\ndata: {\"type\": \"ping\"}\n\n");
}

TEST_CASE("metering events add up to the credits charged") {
  assembler a(options());
  stream_event m;
  m.kind = stream_event_kind::metering;
  m.value = 0.25;
  a.on_event(m);
  a.on_event(m);
  CHECK(a.credits() == doctest::Approx(0.5));
}
