#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "shared/eventstream/codec.hpp"
#include "shared/upstream/events.hpp"

using namespace kb;
using namespace kb::upstream;
namespace es = kb::eventstream;

namespace {

es::message decode_one(const std::string& wire) {
  es::decoder d;
  std::vector<es::message> out;
  d.feed(wire, out);
  REQUIRE(out.size() == 1);
  return out[0];
}

std::optional<stream_event> event_of(std::string_view type, std::string_view payload) {
  return to_stream_event(decode_one(es::encode_event(type, payload)));
}

} // namespace

TEST_CASE("an assistantResponseEvent becomes a text event") {
  auto ev = event_of("assistantResponseEvent", R"({"content":"Hello \u00e9\n","modelId":"claude-sonnet-4.5"})");
  REQUIRE(ev);
  CHECK(ev->kind == stream_event_kind::text);
  CHECK(ev->text == "Hello \xC3\xA9\n");
}

TEST_CASE("assistantResponseEvents with a followupPrompt or empty content yield nothing") {
  CHECK_FALSE(event_of("assistantResponseEvent", R"({"content":"x","followupPrompt":{"content":"more?"}})"));
  CHECK_FALSE(event_of("assistantResponseEvent", R"({"content":""})"));
  CHECK_FALSE(event_of("assistantResponseEvent", R"({"modelId":"m"})"));
  CHECK_FALSE(event_of("assistantResponseEvent", R"({"content":42})"));
}

TEST_CASE("toolUseEvent fragments become tool_use events with their id, name and stop flag") {
  auto first = event_of("toolUseEvent", R"({"name":"Read","toolUseId":"tooluse_x","input":"{\"pa","stop":false})");
  REQUIRE(first);
  CHECK(first->kind == stream_event_kind::tool_use);
  CHECK(first->name == "Read");
  CHECK(first->tool_use_id == "tooluse_x");
  CHECK(first->text == R"({"pa)");
  CHECK_FALSE(first->stop);

  auto last = event_of("toolUseEvent", R"({"name":"Read","toolUseId":"tooluse_x","input":"th\":1}","stop":true})");
  REQUIRE(last);
  CHECK(last->text == R"(th":1})");
  CHECK(last->stop);
}

TEST_CASE("a toolUseEvent without input yields an empty fragment") {
  auto ev = event_of("toolUseEvent", R"({"name":"Ls","toolUseId":"tooluse_y","stop":true})");
  REQUIRE(ev);
  CHECK(ev->text.empty());
  CHECK(ev->stop);
  auto object_input = event_of("toolUseEvent", R"({"name":"Ls","toolUseId":"tooluse_y","input":{"a":1}})");
  REQUIRE(object_input);
  CHECK(object_input->text == R"({"a":1})");
  CHECK_FALSE(event_of("toolUseEvent", R"({"name":"Ls","input":"{}"})"));
}

TEST_CASE("context usage and metering events carry their numbers") {
  auto ctx = event_of("contextUsageEvent", R"({"contextUsagePercentage":42.5})");
  REQUIRE(ctx);
  CHECK(ctx->kind == stream_event_kind::context_usage);
  CHECK(ctx->value == 42.5);
  auto whole = event_of("contextUsageEvent", R"({"contextUsagePercentage":7})");
  REQUIRE(whole);
  CHECK(whole->value == 7.0);
  auto meter = event_of("meteringEvent", R"({"unit":"credit","unitPlural":"credits","usage":0.1761})");
  REQUIRE(meter);
  CHECK(meter->kind == stream_event_kind::metering);
  CHECK(meter->value == 0.1761);
  CHECK_FALSE(event_of("meteringEvent", R"({"usage":"lots"})"));
}

TEST_CASE("an exception frame becomes an exception event with type and message") {
  auto ev = to_stream_event(decode_one(es::encode_exception(
    "ContentLengthExceededException", R"({"message":"Response exceeded the length limit"})")));
  REQUIRE(ev);
  CHECK(ev->kind == stream_event_kind::exception);
  CHECK(ev->name == "ContentLengthExceededException");
  CHECK(ev->text == "Response exceeded the length limit");
}

TEST_CASE("an error frame takes its name and text from :error-code and :error-message") {
  es::message msg{{{":error-code", std::string("InternalFailure")},
                   {":error-message", std::string("stream broke")},
                   {":message-type", std::string("error")}},
                  ""};
  auto ev = to_stream_event(msg);
  REQUIRE(ev);
  CHECK(ev->kind == stream_event_kind::exception);
  CHECK(ev->name == "InternalFailure");
  CHECK(ev->text == "stream broke");
}

TEST_CASE("an exception frame without a type header falls back to the payload's __type") {
  es::message msg{{{":message-type", std::string("exception")}},
                  R"({"__type":"com.amazon.aws.codewhisperer#ThrottlingException","Message":"Too many"})"};
  auto ev = to_stream_event(msg);
  REQUIRE(ev);
  CHECK(ev->name == "ThrottlingException");
  CHECK(ev->text == "Too many");
}

TEST_CASE("unknown event types and malformed payloads yield nothing") {
  CHECK_FALSE(event_of("messageMetadataEvent", R"({"conversationId":"c"})"));
  CHECK_FALSE(event_of("assistantResponseEvent", R"({"content":"unterminated)"));
  CHECK_FALSE(event_of("assistantResponseEvent", R"(["content"])"));
  CHECK_FALSE(to_stream_event(es::message{{}, R"({"content":"no headers"})"}));
}

TEST_CASE("the event reader turns a byte stream split anywhere into the same events") {
  std::string stream;
  stream += es::encode_event("assistantResponseEvent", R"({"content":"Let me read."})");
  stream += es::encode_event("messageMetadataEvent", R"({"conversationId":"c"})");
  stream += es::encode_event("toolUseEvent", R"({"name":"Read","toolUseId":"t1","input":"{\"p\":","stop":false})");
  stream += es::encode_event("toolUseEvent", R"({"name":"Read","toolUseId":"t1","input":"1}","stop":true})");
  stream += es::encode_event("meteringEvent", R"({"usage":0.5})");
  stream += es::encode_event("contextUsageEvent", R"({"contextUsagePercentage":12.25})");

  for (size_t step : {stream.size(), size_t{1}, size_t{13}, size_t{1400}}) {
    event_reader reader;
    std::vector<stream_event> out;
    for (size_t i = 0; i < stream.size(); i += step)
      CHECK(reader.feed(std::string_view(stream).substr(i, step), out) == es::decode_status::ok);
    REQUIRE(out.size() == 5);
    CHECK(out[0].text == "Let me read.");
    CHECK(out[1].tool_use_id == "t1");
    CHECK(out[1].text + out[2].text == R"({"p":1})");
    CHECK(out[2].stop);
    CHECK(out[3].value == 0.5);
    CHECK(out[4].value == 12.25);
    CHECK(reader.skipped_frames() == 1);
    CHECK_FALSE(reader.has_partial());
  }
}

TEST_CASE("the event reader reports decoder corruption and truncation") {
  auto good = es::encode_event("assistantResponseEvent", R"({"content":"ok"})");
  auto bad = good;
  bad[bad.size() - 2] ^= 0x10;
  event_reader reader;
  std::vector<stream_event> out;
  CHECK(reader.feed(bad + good + good.substr(0, 30), out) == es::decode_status::corrupt);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "ok");
  CHECK(reader.decoder().last_error() == es::decode_error::message_crc_mismatch);
  CHECK(reader.has_partial());
}

namespace {

std::vector<stream_event> events_of(std::string_view type, std::string_view payload) {
  std::vector<stream_event> out;
  to_stream_events(decode_one(es::encode_event(type, payload)), out);
  return out;
}

} // namespace

TEST_CASE("a reasoningContentEvent becomes reasoning text, then its signature") {
  auto out = events_of("reasoningContentEvent", R"({"text":"Let me think.","signature":"EqQBCkYIBxgC"})");
  REQUIRE(out.size() == 2);
  CHECK(out[0].kind == stream_event_kind::reasoning);
  CHECK(out[0].text == "Let me think.");
  CHECK(out[1].kind == stream_event_kind::reasoning_signature);
  CHECK(out[1].text == "EqQBCkYIBxgC");
  auto only_text = events_of("reasoningContentEvent", R"({"text":"more"})");
  REQUIRE(only_text.size() == 1);
  CHECK(only_text[0].kind == stream_event_kind::reasoning);
  CHECK(events_of("reasoningContentEvent", R"({"text":""})").empty());
}

TEST_CASE("redacted reasoning content comes before the text of the same event") {
  auto out = events_of("reasoningContentEvent", R"({"redactedContent":"b3BhcXVl","text":"t"})");
  REQUIRE(out.size() == 2);
  CHECK(out[0].kind == stream_event_kind::redacted_reasoning);
  CHECK(out[0].text == "b3BhcXVl");
  CHECK(out[1].kind == stream_event_kind::reasoning);
}

TEST_CASE("a metadataEvent's tokenUsage becomes Claude usage counts") {
  auto out = events_of("metadataEvent",
                       R"({"tokenUsage":{"uncachedInputTokens":120,"outputTokens":45,"totalTokens":2165,)"
                       R"("cacheReadInputTokens":1500,"cacheWriteInputTokens":500}})");
  REQUIRE(out.size() == 4);
  for (const auto& ev : out) CHECK(ev.kind == stream_event_kind::token_usage);
  CHECK(out[0].name == "input_tokens");
  CHECK(out[0].value == 120);
  CHECK(out[1].name == "output_tokens");
  CHECK(out[1].value == 45);
  CHECK(out[2].name == "cache_read_input_tokens");
  CHECK(out[2].value == 1500);
  CHECK(out[3].name == "cache_creation_input_tokens");
  CHECK(out[3].value == 500);

  // Kiro-Go reads the same object from messageMetadataEvent; absent cache counts stay absent.
  auto meta = events_of("messageMetadataEvent",
                        R"({"conversationId":"c","tokenUsage":{"uncachedInputTokens":7,"outputTokens":3}})");
  REQUIRE(meta.size() == 2);
  CHECK(meta[0].name == "input_tokens");
  CHECK(meta[1].name == "output_tokens");
  CHECK(events_of("metadataEvent", R"({"tokenUsage":{"outputTokens":-1}})").empty());
}

TEST_CASE("a stopReason in messageStopEvent or metadataEvent becomes a stop_reason event") {
  auto out = events_of("messageStopEvent", R"({"stopReason":"content_filtered"})");
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == stream_event_kind::stop_reason);
  CHECK(out[0].text == "content_filtered");
  auto meta = events_of("metadataEvent", R"({"tokenUsage":{"outputTokens":9},"stopReason":"max_tokens"})");
  REQUIRE(meta.size() == 2);
  CHECK(meta[1].kind == stream_event_kind::stop_reason);
  CHECK(meta[1].text == "max_tokens");
  CHECK(events_of("messageStopEvent", "{}").empty());
}

TEST_CASE("an invalidStateEvent is an exception carrying its reason and message") {
  auto ev = event_of("invalidStateEvent", R"({"reason":"INVALID_TASK_ASSIST_PLAN","message":"The plan is invalid."})");
  REQUIRE(ev);
  CHECK(ev->kind == stream_event_kind::exception);
  CHECK(ev->name == "InvalidStateEvent");
  CHECK(ev->text == "INVALID_TASK_ASSIST_PLAN: The plan is invalid.");
}

TEST_CASE("an exception sent with :message-type event is still an exception") {
  auto ev = event_of("internalServerException", R"({"message":"boom"})");
  REQUIRE(ev);
  CHECK(ev->kind == stream_event_kind::exception);
  CHECK(ev->name == "internalServerException");
  CHECK(ev->text == "boom");
}

TEST_CASE("citation and code reference events are counted as references") {
  auto cite = event_of("citationEvent", R"({"target":{"location":3},"citationLink":"https://x"})");
  REQUIRE(cite);
  CHECK(cite->kind == stream_event_kind::reference);
  CHECK(cite->name == "citation");
  CHECK(cite->value == 1);
  auto refs = event_of("codeReferenceEvent", R"({"references":[{"licenseName":"MIT"},{"url":"u"}]})");
  REQUIRE(refs);
  CHECK(refs->name == "code_reference");
  CHECK(refs->value == 2);
  CHECK_FALSE(event_of("codeReferenceEvent", R"({"references":[]})"));
}

TEST_CASE("the event reader keeps every event of a frame that carries several") {
  std::string stream = es::encode_event("reasoningContentEvent", R"({"text":"hm","signature":"sig"})") +
                       es::encode_event("metadataEvent", R"({"tokenUsage":{"uncachedInputTokens":1,"outputTokens":2}})");
  event_reader reader;
  std::vector<stream_event> out;
  CHECK(reader.feed(stream, out) == es::decode_status::ok);
  CHECK(out.size() == 4);
  CHECK(reader.skipped_frames() == 0);
}
