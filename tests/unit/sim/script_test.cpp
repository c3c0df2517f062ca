#include <doctest/doctest.h>

#include "services/sim/script.hpp"

using namespace kb::sim;

namespace {

match_input input(std::string_view account = "a1", std::string_view content = "hello") {
  return match_input{account, "tok", content, false, false};
}

} // namespace

TEST_CASE("a script entry parses match, times and a text response") {
  auto entries = parse_script(R"({"match":{"account":"a1","contentContains":"weather",
      "hasToolResults":false},"times":3,
      "response":{"kind":"text","text":"Sunny","chunks":2,"chunkDelayMs":5,"firstByteDelayMs":7}})");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  const auto& e = (*entries)[0];
  CHECK(e.match.account == std::optional<std::string>("a1"));
  CHECK(e.match.content_contains == std::optional<std::string>("weather"));
  CHECK(e.match.has_tool_results == std::optional<bool>(false));
  CHECK_FALSE(e.match.has_tools.has_value());
  CHECK(e.times == 3);
  CHECK(e.response.kind == response_kind::text);
  CHECK(e.response.text == "Sunny");
  CHECK(e.response.chunks == 2);
  CHECK(e.response.chunk_delay_ms == 5);
  CHECK(e.response.first_byte_delay_ms == 7);
}

TEST_CASE("a tool response keeps the serialized input and fragments") {
  auto entries = parse_script(
      R"([{"response":{"kind":"tool","name":"Read","input":{"path":"a.txt"},"fragments":3,"thenText":"done"}}])");
  REQUIRE(entries.ok());
  const auto& r = (*entries)[0].response;
  REQUIRE(r.tools.size() == 1);
  CHECK(r.tools[0].name == "Read");
  CHECK(r.tools[0].input_json == R"({"path":"a.txt"})");
  CHECK(r.tools[0].fragments == 3);
  CHECK(r.then_text == "done");
  CHECK((*entries)[0].times == 1);
}

TEST_CASE("several tools are read from the tools array") {
  auto entries = parse_script(
      R"({"entries":[{"response":{"kind":"tool","tools":[{"name":"A","input":{}},{"name":"B","input":{"x":1}}]}}]})");
  REQUIRE(entries.ok());
  const auto& tools = (*entries)[0].response.tools;
  REQUIRE(tools.size() == 2);
  CHECK(tools[0].name == "A");
  CHECK(tools[1].input_json == R"({"x":1})");
}

TEST_CASE("bad script entries are errors, not crashes") {
  CHECK_FALSE(parse_script("not json").ok());
  CHECK_FALSE(parse_script(R"({"response":{"kind":"teleport"}})").ok());
  CHECK_FALSE(parse_script(R"({"response":{"kind":"tool"}})").ok());
  CHECK_FALSE(parse_script(R"({"times":0,"response":{"kind":"text"}})").ok());
  CHECK_FALSE(parse_script(R"({"times":-2,"response":{"kind":"text"}})").ok());
  CHECK_FALSE(parse_script(R"({"match":{"hasTools":"yes"},"response":{"kind":"text"}})").ok());
  CHECK_FALSE(parse_script(R"({"response":{"kind":"text","chunks":0}})").ok());
  CHECK_FALSE(parse_script(R"({"match":{}})").ok());
  auto err = parse_script(R"({"response":{"kind":"teleport"}})");
  CHECK(err.error().message == "unknown response kind `teleport`");
}

TEST_CASE("every condition of a match must hold") {
  script_match m;
  m.account = "a1";
  m.content_contains = "weather";
  CHECK(matches(m, input("a1", "what is the weather")));
  CHECK_FALSE(matches(m, input("a2", "what is the weather")));
  CHECK_FALSE(matches(m, input("a1", "hello")));
  script_match tools;
  tools.has_tool_results = true;
  match_input in = input();
  CHECK_FALSE(matches(tools, in));
  in.has_tool_results = true;
  CHECK(matches(tools, in));
  CHECK(matches(script_match{}, input()));
}

TEST_CASE("the first matching entry is used and spends one of its times") {
  script_book book;
  auto entries = parse_script(R"([
      {"match":{"account":"a2"},"response":{"kind":"throttle"}},
      {"times":2,"response":{"kind":"text","text":"first"}},
      {"times":-1,"response":{"kind":"text","text":"forever"}}])");
  REQUIRE(entries.ok());
  book.append(std::move(*entries));
  CHECK(book.size() == 3);
  CHECK(book.take(input("a1"))->text == "first");
  CHECK(book.take(input("a1"))->text == "first");
  CHECK(book.size() == 2);
  CHECK(book.take(input("a1"))->text == "forever");
  CHECK(book.take(input("a1"))->text == "forever");
  CHECK(book.take(input("a2"))->kind == response_kind::throttle);
  CHECK(book.take(input("a2"))->text == "forever");
  CHECK(book.size() == 1);
  book.clear();
  CHECK_FALSE(book.take(input("a1")).has_value());
}

TEST_CASE("the Kiro event options parse: reasoning, tokenUsage, stopReason, references, limits") {
  auto entries = parse_script(R"({"response":{"kind":"reasoning","thinking":"hm","signature":"sig",
      "redactedContent":"b3Bh","text":"ok","tokenUsage":{"uncachedInputTokens":10,"outputTokens":4,
      "cacheReadInputTokens":900},"stopReason":"max_tokens","citations":2,"codeReferences":1,
      "metering":false,"credits":0.25,"toolInputLimitBytes":100}})");
  REQUIRE(entries.ok());
  const auto& r = (*entries)[0].response;
  CHECK(r.kind == response_kind::reasoning);
  CHECK(r.signature == "sig");
  CHECK(r.redacted_content == "b3Bh");
  REQUIRE(r.token_usage.has_value());
  CHECK(r.token_usage->uncached_input_tokens == 10);
  CHECK(r.token_usage->output_tokens == 4);
  CHECK(r.token_usage->cache_read_input_tokens == std::optional<int64_t>(900));
  CHECK_FALSE(r.token_usage->cache_write_input_tokens.has_value());
  CHECK(r.stop_reason == "max_tokens");
  CHECK(r.citations == 2);
  CHECK(r.code_references == 1);
  CHECK_FALSE(r.metering);
  CHECK(r.credits == std::optional<double>(0.25));
  CHECK(r.tool_input_limit_bytes == 100);

  auto defaults = parse_script(R"({"response":{"kind":"invalid_state"}})");
  REQUIRE(defaults.ok());
  CHECK((*defaults)[0].response.kind == response_kind::invalid_state);
  CHECK((*defaults)[0].response.invalid_state_reason == "INVALID_TASK_ASSIST_PLAN");
  CHECK((*defaults)[0].response.tool_input_limit_bytes == 9216);
  CHECK((*defaults)[0].response.metering);

  CHECK_FALSE(parse_script(R"({"response":{"tokenUsage":{"outputTokens":-1}}})").ok());
  CHECK_FALSE(parse_script(R"({"response":{"tokenUsage":5}})").ok());
  CHECK_FALSE(parse_script(R"({"response":{"toolInputLimitBytes":0}})").ok());
  CHECK_FALSE(parse_script(R"({"response":{"metering":"no"}})").ok());
}
