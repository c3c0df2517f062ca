#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "services/sim/plan.hpp"
#include "shared/eventstream/codec.hpp"

using namespace kb::sim;
namespace json = boost::json;

namespace {

struct frame {
  std::string type; ///< :event-type or :exception-type
  std::string message_type;
  json::value payload;
};

std::vector<frame> decode(const response_plan& plan) {
  std::string bytes;
  for (const auto& s : plan.steps)
    bytes += s.bytes;
  kb::eventstream::decoder d;
  std::vector<kb::eventstream::message> messages;
  REQUIRE(d.feed(bytes, messages) == kb::eventstream::decode_status::ok);
  REQUIRE_FALSE(d.has_partial());
  std::vector<frame> out;
  for (const auto& m : messages) {
    const std::string* mt = m.string_header(":message-type");
    const std::string* et = m.string_header(":event-type");
    const std::string* xt = m.string_header(":exception-type");
    out.push_back({et ? *et : (xt ? *xt : ""), mt ? *mt : "", json::parse(m.payload)});
  }
  return out;
}

std::string joined_text(const std::vector<frame>& frames) {
  std::string text;
  for (const auto& f : frames)
    if (f.type == "assistantResponseEvent")
      text += f.payload.at("content").as_string().c_str();
  return text;
}

plan_context context() {
  plan_context c;
  c.estimated_input_tokens = 50'000;
  c.default_text = "Hello from kiro-sim. You said: hi";
  c.user_id = "sim-user-a1";
  c.seed = 1;
  c.sequence = 1;
  return c;
}

} // namespace

TEST_CASE("a text answer is chunked and ends with metering and context usage") {
  response_spec spec;
  spec.text = "The quick brown fox";
  spec.chunks = 3;
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 5);
  CHECK(frames[0].type == "assistantResponseEvent");
  CHECK(frames[0].message_type == "event");
  CHECK(frames[0].payload.at("content") == "The qu");
  CHECK(frames[1].payload.at("content") == "ick br");
  CHECK(frames[2].payload.at("content") == "own fox");
  CHECK(frames[3].type == "meteringEvent");
  CHECK(frames[3].payload.at("unit") == "credit");
  CHECK(frames[3].payload.at("unitPlural") == "credits");
  CHECK(frames[4].type == "contextUsageEvent");
  CHECK(frames[4].payload.at("contextUsagePercentage").to_number<double>() == 25.0);
}

TEST_CASE("an unscripted text answer uses the request-derived default text") {
  response_spec spec;
  auto frames = decode(plan_response(spec, context()));
  CHECK(joined_text(frames) == "Hello from kiro-sim. You said: hi");
}

TEST_CASE("chunk delays apply between chunks and the first byte delay before all") {
  response_spec spec;
  spec.text = "abcdef";
  spec.chunks = 3;
  spec.chunk_delay_ms = 40;
  spec.first_byte_delay_ms = 100;
  auto plan = plan_response(spec, context());
  CHECK(plan.first_byte_delay_ms == 100);
  REQUIRE(plan.steps.size() == 5);
  CHECK(plan.steps[0].delay_ms == 0);
  CHECK(plan.steps[1].delay_ms == 40);
  CHECK(plan.steps[2].delay_ms == 40);
  CHECK(plan.steps[3].delay_ms == 0);
}

TEST_CASE("a tool answer streams input fragments that join to the input and stop once") {
  response_spec spec;
  spec.kind = response_kind::tool;
  spec.tools.push_back({"Read", R"({"path":"/tmp/a.txt","limit":10})", 4});
  spec.then_text = "Done.";
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 7);
  std::string input;
  std::string id;
  for (size_t i = 0; i < 4; ++i) {
    CHECK(frames[i].type == "toolUseEvent");
    CHECK(frames[i].payload.at("name") == "Read");
    if (i == 0)
      id = frames[i].payload.at("toolUseId").as_string().c_str();
    CHECK(frames[i].payload.at("toolUseId") == json::string(id));
    CHECK(frames[i].payload.at("stop").as_bool() == (i == 3));
    input += frames[i].payload.at("input").as_string().c_str();
  }
  CHECK(id.rfind("tooluse_", 0) == 0);
  CHECK(id.size() == 30);
  CHECK(input == R"({"path":"/tmp/a.txt","limit":10})");
  CHECK(frames[4].payload.at("content") == "Done.");
  CHECK(frames[5].type == "meteringEvent");
  CHECK(frames[6].type == "contextUsageEvent");
}

TEST_CASE("several tools get distinct ids") {
  response_spec spec;
  spec.kind = response_kind::tool;
  spec.tools.push_back({"A", "{}", 1});
  spec.tools.push_back({"B", "{}", 1});
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 4);
  CHECK(frames[0].payload.at("name") == "A");
  CHECK(frames[1].payload.at("name") == "B");
  CHECK(frames[0].payload.at("toolUseId") != frames[1].payload.at("toolUseId"));
}

TEST_CASE("a thinking answer wraps the thinking in tags before the text") {
  response_spec spec;
  spec.kind = response_kind::thinking;
  spec.thinking = "Let me think.";
  spec.text = "Answer.";
  auto frames = decode(plan_response(spec, context()));
  CHECK(joined_text(frames) == "<thinking>\nLet me think.\n</thinking>\n\nAnswer.");
}

TEST_CASE("a bracket answer writes the legacy tool call text") {
  response_spec spec;
  spec.kind = response_kind::bracket;
  spec.tools.push_back({"Bash", R"({"command":"ls"})", 0});
  auto frames = decode(plan_response(spec, context()));
  CHECK(joined_text(frames) == R"([Called Bash with args: {"command":"ls"}])");
}

TEST_CASE("an exception answer stops after the given chunks with an exception frame") {
  response_spec spec;
  spec.kind = response_kind::exception;
  spec.text = "aaaabbbbccccdddd";
  spec.chunks = 4;
  spec.after_chunks = 2;
  spec.exception_type = "ThrottlingException";
  spec.message = "slow down";
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 3);
  CHECK(joined_text(frames) == "aaaabbbb");
  CHECK(frames[2].message_type == "exception");
  CHECK(frames[2].type == "ThrottlingException");
  CHECK(frames[2].payload.at("message") == "slow down");
}

TEST_CASE("a drop answer cuts the stream after the given bytes") {
  response_spec spec;
  spec.kind = response_kind::drop;
  spec.after_bytes = 30;
  auto plan = plan_response(spec, context());
  REQUIRE(plan.drop_after_bytes.has_value());
  CHECK(*plan.drop_after_bytes == 30);
  CHECK(plan.total_bytes() > 30);
}

TEST_CASE("a cut tool never sends stop and has no metering or context usage") {
  response_spec spec;
  spec.kind = response_kind::cut_tool;
  spec.tools.push_back({"Write", R"({"path":"a","content":"0123456789"})", 2});
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 2);
  std::string input;
  for (const auto& f : frames) {
    CHECK(f.type == "toolUseEvent");
    CHECK(f.payload.at("stop") == false);
    input += f.payload.at("input").as_string().c_str();
  }
  CHECK(input == R"({"path":"a","cont)");
}

TEST_CASE("error kinds become plain Kiro error replies") {
  response_spec spec;
  spec.kind = response_kind::quota;
  auto quota = plan_response(spec, context());
  REQUIRE(quota.reply.has_value());
  CHECK(quota.exhausts_quota);
  CHECK(quota.reply->status == 402);
  CHECK(quota.reply->body ==
        R"({"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"})");
  spec.kind = response_kind::throttle;
  auto throttle = plan_response(spec, context());
  CHECK(throttle.reply->status == 429);
  CHECK(throttle.reply->body ==
        R"({"message":"Too many requests, please wait before trying again.","reason":null})");
  spec.kind = response_kind::invalid_bearer;
  CHECK(plan_response(spec, context()).reply->status == 403);
  spec.kind = response_kind::suspended;
  auto susp = plan_response(spec, context());
  CHECK(susp.reply->status == 403);
  CHECK(susp.reply->body.find("Your User ID (sim-user-a1) temporarily is suspended.") !=
        std::string::npos);
  spec.kind = response_kind::server_error;
  CHECK(plan_response(spec, context()).reply->status == 500);
  spec.kind = response_kind::input_too_long;
  CHECK(plan_response(spec, context()).reply->body ==
        R"({"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"})");
}

TEST_CASE("text is split only between UTF-8 code points") {
  auto parts = split_text("h\xC3\xA9llo \xE2\x82\xAC!", 3);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0] == "h\xC3\xA9");
  CHECK(parts[1] == "llo");
  CHECK(parts[2] == " \xE2\x82\xAC!");
  CHECK(split_text("ab", 5) == std::vector<std::string>{"a", "b"});
  CHECK(split_text("", 3).empty());
}

TEST_CASE("the default answer echoes content or acknowledges tool results") {
  request_summary s;
  s.content = std::string(250, 'x');
  CHECK(default_answer_text(s) == "Hello from kiro-sim. You said: " + std::string(200, 'x'));
  s.has_tool_results = true;
  s.first_tool_result_text = std::string(150, 'r');
  CHECK(default_answer_text(s) == "Tool result received: " + std::string(100, 'r'));
}

TEST_CASE("decimals are written without trailing zeros") {
  CHECK(format_decimal(42.5, 4) == "42.5");
  CHECK(format_decimal(0.17614, 4) == "0.1761");
  CHECK(format_decimal(3.0, 4) == "3");
  CHECK(context_usage_percentage(100'000) == 50.0);
}

TEST_CASE("a reasoning answer sends redacted content, reasoning chunks with the signature last, then text") {
  response_spec spec;
  spec.kind = response_kind::reasoning;
  spec.thinking = "Let me think about it.";
  spec.signature = "EqQBCkYI";
  spec.redacted_content = "b3BhcXVl";
  spec.text = "Four.";
  spec.chunks = 2;
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 7);
  CHECK(frames[0].type == "reasoningContentEvent");
  CHECK(frames[0].payload.at("redactedContent") == "b3BhcXVl");
  CHECK(frames[1].type == "reasoningContentEvent");
  CHECK_FALSE(frames[1].payload.as_object().contains("signature"));
  CHECK(frames[2].payload.at("signature") == "EqQBCkYI");
  CHECK(std::string(frames[1].payload.at("text").as_string().c_str()) +
            frames[2].payload.at("text").as_string().c_str() ==
        "Let me think about it.");
  CHECK(joined_text(frames) == "Four.");
  CHECK(frames[5].type == "meteringEvent");
}

TEST_CASE("token usage, stop reason and references follow the content in Kiro's order") {
  response_spec spec;
  spec.text = "Hi";
  spec.chunks = 1;
  spec.citations = 2;
  spec.code_references = 3;
  spec.token_usage = scripted_token_usage{120, 45, 1500, 500};
  spec.stop_reason = "content_filtered";
  spec.credits = 0.5;
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 8);
  CHECK(frames[1].type == "citationEvent");
  CHECK(frames[2].type == "citationEvent");
  CHECK(frames[3].type == "codeReferenceEvent");
  CHECK(frames[3].payload.at("references").as_array().size() == 3);
  CHECK(frames[4].type == "metadataEvent");
  const auto& usage = frames[4].payload.at("tokenUsage");
  CHECK(usage.at("uncachedInputTokens") == 120);
  CHECK(usage.at("outputTokens") == 45);
  CHECK(usage.at("cacheReadInputTokens") == 1500);
  CHECK(usage.at("cacheWriteInputTokens") == 500);
  CHECK(usage.at("totalTokens") == 2165);
  CHECK(frames[5].type == "messageStopEvent");
  CHECK(frames[5].payload.at("stopReason") == "content_filtered");
  CHECK(frames[6].type == "meteringEvent");
  CHECK(frames[6].payload.at("usage").to_number<double>() == 0.5);
  CHECK(frames[7].type == "contextUsageEvent");

  spec.metering = false;
  auto without = decode(plan_response(spec, context()));
  CHECK(without.size() == 7);
}

TEST_CASE("tool arguments over the limit are cut like Kiro: no stop and nothing after") {
  response_spec spec;
  spec.kind = response_kind::tool;
  const std::string input = R"({"content":")" + std::string(20000, 'x') + R"("})";
  spec.tools.push_back({"Write", input, 0});
  spec.tools.push_back({"Read", R"({"path":"a"})", 0});
  spec.then_text = "never";
  auto frames = decode(plan_response(spec, context()));
  std::string sent;
  for (const auto& f : frames) {
    CHECK(f.type == "toolUseEvent");
    CHECK(f.payload.at("name") == "Write");
    CHECK(f.payload.at("stop") == false);
    sent += f.payload.at("input").as_string().c_str();
  }
  CHECK(sent == input.substr(0, 9216));

  spec.tool_input_limit_bytes = 100000;
  auto whole = decode(plan_response(spec, context()));
  CHECK(joined_text(whole) == "never");
}

TEST_CASE("an invalid_state answer ends with an invalidStateEvent after the given chunks") {
  response_spec spec;
  spec.kind = response_kind::invalid_state;
  spec.text = "abcdef";
  spec.chunks = 3;
  spec.after_chunks = 1;
  spec.message = "The plan is invalid.";
  auto frames = decode(plan_response(spec, context()));
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].type == "assistantResponseEvent");
  CHECK(frames[1].type == "invalidStateEvent");
  CHECK(frames[1].payload.at("reason") == "INVALID_TASK_ASSIST_PLAN");
  CHECK(frames[1].payload.at("message") == "The plan is invalid.");
}
