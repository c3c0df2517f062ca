#include <doctest/doctest.h>

#include <string>

#include "shared/reply/assembler.hpp"
#include "tests/unit/reply/sse_support.hpp"

// Kiro's events beyond text and tools (issue 14 rules 8 and 10):
// reasoningContentEvent, tokenUsage, stopReason, references and cut tool
// calls, as the assembler turns them into a Claude reply.

using namespace kb;
using namespace kb::reply;
using namespace kb::reply::test;

namespace {

assembler_options thinking_options(bool stream = true) {
  auto o = options(stream);
  o.parse_thinking = true;
  return o;
}

boost::json::object usage_of(std::string_view sse, std::string_view event_type) {
  bool ok = false;
  auto events = parse_sse(sse, ok);
  REQUIRE(ok);
  const auto* e = find_event(events, event_type);
  REQUIRE(e);
  if (event_type == "message_start") return e->at("message").at("usage").as_object();
  return e->at("usage").as_object();
}

std::string stop_reason_of(std::string_view sse) {
  bool ok = false;
  auto events = parse_sse(sse, ok);
  const auto* delta = find_event(events, "message_delta");
  if (!ok || !delta) return "<malformed>";
  return std::string(delta->at("delta").at("stop_reason").as_string().c_str());
}

std::string json_reply(const assembler_options& opts, const std::vector<stream_event>& events) {
  assembler a(opts);
  a.begin();
  for (const auto& e : events) a.on_event(e);
  a.finish();
  return a.message_json();
}

const std::string big_write_input =
    R"({"file_path":"/tmp/big.txt","content":")" + std::string(9000, 'x');

} // namespace

TEST_CASE("native reasoning becomes a thinking block signed with Kiro's signature") {
  auto sse = run(thinking_options(), {reasoning("Let me "), reasoning("think."),
                                      signature("EqQBCkYIBxgCKkB"), text("The answer is 4.")});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(boost::json::serialize(content) ==
        R"([{"type":"thinking","thinking":"Let me think.","signature":"EqQBCkYIBxgCKkB"},)"
        R"({"type":"text","text":"The answer is 4."}])");
  CHECK(sse.find(R"("type":"thinking_delta","thinking":"Let me ")") != std::string::npos);
  CHECK(stop_reason_of(sse) == "end_turn");
}

TEST_CASE("once native reasoning came, thinking tags in the text are plain text") {
  auto sse = run(thinking_options(), {reasoning("real"), signature("s"),
                                      text("<thinking>\nnot thinking\n</thinking>\n\nok")});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  REQUIRE(content.size() == 2);
  CHECK(content[0].at("thinking") == "real");
  CHECK(content[1].at("text") == "<thinking>\nnot thinking\n</thinking>\n\nok");
}

TEST_CASE("reasoning is dropped when the request did not enable thinking") {
  auto sse = run(options(), {reasoning("hidden"), signature("s"), text("Hi.")});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(boost::json::serialize(content) == R"([{"type":"text","text":"Hi."}])");
}

TEST_CASE("redacted reasoning becomes a redacted_thinking block in SSE and JSON") {
  auto sse = run(thinking_options(), {redacted("b3BhcXVl"), text("Done.")});
  CHECK(sse.find(R"("content_block":{"type":"redacted_thinking","data":"b3BhcXVl"})") !=
        std::string::npos);
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  REQUIRE(content.size() == 2);
  CHECK(content[1].at("text") == "Done.");
  auto json = json_reply(thinking_options(false), {redacted("b3BhcXVl"), text("Done.")});
  CHECK(json.find(R"("content":[{"type":"redacted_thinking","data":"b3BhcXVl"},{"type":"text","text":"Done."}])") !=
        std::string::npos);
}

TEST_CASE("native thinking in JSON mode carries Kiro's signature") {
  auto json = json_reply(thinking_options(false), {reasoning("Hmm."), signature("sig-1"), text("Yes.")});
  CHECK(json.find(R"({"type":"thinking","thinking":"Hmm.","signature":"sig-1"})") != std::string::npos);
}

TEST_CASE("Kiro's tokenUsage is the reply's usage, cache counts included") {
  std::vector<stream_event> events = {text("Hello"), usage("input_tokens", 120),
                                      usage("output_tokens", 45),
                                      usage("cache_read_input_tokens", 1500),
                                      usage("cache_creation_input_tokens", 500),
                                      context_usage(50)};
  auto sse = run(options(), events);
  auto end = usage_of(sse, "message_delta");
  CHECK(end.at("input_tokens") == 120);
  CHECK(end.at("output_tokens") == 45);
  CHECK(end.at("cache_read_input_tokens") == 1500);
  CHECK(end.at("cache_creation_input_tokens") == 500);

  auto json = boost::json::parse(json_reply(options(false), events));
  const auto& u = json.at("usage");
  CHECK(u.at("input_tokens") == 120);
  CHECK(u.at("output_tokens") == 45);
  CHECK(u.at("cache_read_input_tokens") == 1500);
  CHECK(u.at("cache_creation_input_tokens") == 500);

  assembler a(options());
  a.begin();
  for (const auto& e : events) a.on_event(e);
  a.finish();
  CHECK(a.real_usage());
  CHECK(a.cache_read_tokens() == 1500);
  CHECK(a.cache_write_tokens() == 500);
}

TEST_CASE("usage that comes before the first output is in message_start too") {
  auto sse = run(options(), {usage("input_tokens", 77), usage("cache_read_input_tokens", 9000),
                             text("Hi"), usage("output_tokens", 2)});
  auto start = usage_of(sse, "message_start");
  CHECK(start.at("input_tokens") == 77);
  CHECK(start.at("cache_read_input_tokens") == 9000);
  CHECK(start.at("output_tokens") == 1);
  auto end = usage_of(sse, "message_delta");
  CHECK(end.at("input_tokens") == 77);
  CHECK(end.at("output_tokens") == 2);
}

TEST_CASE("without tokenUsage the counts stay estimates") {
  assembler a(options());
  a.begin();
  a.on_event(text("Hello"));
  a.finish();
  CHECK_FALSE(a.real_usage());
  CHECK(a.input_tokens() == 12);
  CHECK(a.cache_read_tokens() == 0);
}

TEST_CASE("a ping before any output sends message_start first") {
  assembler a(options());
  CHECK(a.begin().empty());
  auto first = a.ping();
  CHECK(first.rfind("event: message_start\n", 0) == 0);
  CHECK(first.find("event: ping\n") != std::string::npos);
  auto second = a.ping();
  CHECK(second.rfind("event: ping\n", 0) == 0);
  auto rest = a.on_event(text("x")) + a.finish();
  CHECK(rest.find("message_start") == std::string::npos);
}

TEST_CASE("an upstream stopReason max_tokens or content_filtered sets the stop reason") {
  CHECK(stop_reason_of(run(options(), {text("Part"), upstream_stop("max_tokens")})) == "max_tokens");
  CHECK(stop_reason_of(run(options(), {text("Part"), upstream_stop("MAX_TOKENS")})) == "max_tokens");
  CHECK(stop_reason_of(run(options(), {text("No."), upstream_stop("content_filtered")})) == "refusal");
  CHECK(stop_reason_of(run(options(), {text("No."), upstream_stop("CONTENT_FILTERED")})) == "refusal");
  CHECK(stop_reason_of(run(options(), {text("Fine."), upstream_stop("end_turn")})) == "end_turn");
  CHECK(stop_reason_of(run(options(), {tool("t1", "Read", R"({"path":"a"})", true),
                                       upstream_stop("tool_use")})) == "tool_use");
}

TEST_CASE("an invalid state ends the answer as an error, never a successful reply") {
  assembler a(options());
  a.begin();
  a.on_event(text("Start"));
  a.on_event(exception("InvalidStateEvent", "INVALID_TASK_ASSIST_PLAN: bad plan"));
  CHECK(a.stopped());
  REQUIRE(a.pending_exception());
  CHECK(a.pending_exception()->name == "InvalidStateEvent");
  auto err = a.fail(api_error{error_kind::api, "Kiro: InvalidStateEvent"}, "req_1");
  CHECK(err.rfind("event: error\n", 0) == 0);
}

TEST_CASE("citations and code references are counted and not shown") {
  assembler a(options());
  std::string sse = a.begin();
  sse += a.on_event(text("Answer."));
  sse += a.on_event(reference("citation", 1));
  sse += a.on_event(reference("citation", 1));
  sse += a.on_event(reference("code_reference", 3));
  sse += a.finish();
  CHECK(a.citations() == 2);
  CHECK(a.code_references() == 3);
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(boost::json::serialize(content) == R"([{"type":"text","text":"Answer."}])");
}

TEST_CASE("a tool call Kiro cut is never a tool_use: a note says so and the reply ends max_tokens") {
  assembler a(options());
  std::string sse = a.begin();
  sse += a.on_event(text("Writing the file."));
  sse += a.on_event(tool("tooluse_w", "Write", big_write_input.substr(0, 4000), false));
  sse += a.on_event(tool("tooluse_w", "Write", big_write_input.substr(4000), false));
  sse += a.finish();
  CHECK(sse.find("tool_use") == std::string::npos);
  CHECK(stop_reason_of(sse) == "max_tokens");
  CHECK(a.truncated_tool_calls() == 1);
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  REQUIRE(content.size() == 1);
  std::string note(content[0].at("text").as_string().c_str());
  CHECK(note.rfind("Writing the file.\n\n[The call of tool `Write` was cut off", 0) == 0);
  CHECK(note.find(std::to_string(big_write_input.size()) + " bytes") != std::string::npos);
  CHECK(note.find("~7 KB") != std::string::npos);
}

TEST_CASE("a stopped call whose input does not parse is noted in place, after complete tools") {
  assembler a(options());
  std::string sse = a.begin();
  sse += a.on_event(tool("t1", "Read", R"({"path":"a"})", true));
  sse += a.on_event(tool("t2", "Write", R"({"path":"b","content":"x)", true));
  sse += a.finish();
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  REQUIRE(content.size() == 2);
  CHECK(content[0].at("id") == "t1");
  CHECK(content[1].at("type") == "text");
  CHECK(std::string(content[1].at("text").as_string().c_str()).find("`Write` was cut off") !=
        std::string::npos);
  CHECK(stop_reason_of(sse) == "max_tokens");
  CHECK(a.truncated_tool_calls() == 1);
}

TEST_CASE("a call the stream ended in with a whole JSON object as input is complete") {
  auto sse = run(options(), {tool("t1", "Read", R"({"path":)", false),
                             tool("t1", "Read", R"("a"})", false)});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  CHECK(boost::json::serialize(content) ==
        R"([{"type":"tool_use","id":"t1","name":"Read","input":{"path":"a"}}])");
  CHECK(stop_reason_of(sse) == "tool_use");
}

TEST_CASE("a call cut before any argument arrived is cut, not an empty call") {
  assembler a(options());
  a.begin();
  a.on_event(tool("t1", "Write", "", false));
  auto sse = a.finish();
  CHECK(sse.find("tool_use") == std::string::npos);
  CHECK(a.truncated_tool_calls() == 1);
  CHECK(a.stop_reason() == "max_tokens");
}
