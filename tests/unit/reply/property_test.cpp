#include <doctest/doctest.h>

#include <random>
#include <string>

#include "shared/reply/assembler.hpp"
#include "tests/unit/reply/sse_support.hpp"

using namespace kb;
using namespace kb::reply;
using namespace kb::reply::test;

namespace {

const std::vector<std::string> text_pieces = {
    "Hello ", "world", "<thinking>", "\n", "</thinking>", "\n\n", "<think", "ing>", "</thi",
    R"([Called Read with args: {"p":1}])", "[Called ", R"(Read with args: {"q":"]"})", "}]",
    "STOP", "ST", "OP", "\xE6\x97\xA5", "\xE6", "\x97\xA5", "\xF0\x9F", "\x98\x80", "`", " ",
    "{", "\"", "[", "x"};

const std::vector<std::string> tool_fragments = {"", R"({"a":)", "1}", "{}", R"("s")", "{"};

std::vector<stream_event> random_events(std::mt19937& rng) {
  std::vector<stream_event> events;
  size_t count = rng() % 25;
  for (size_t i = 0; i < count; ++i) {
    unsigned roll = rng() % 100;
    if (roll < 70) {
      events.push_back(text(text_pieces[rng() % text_pieces.size()]));
    } else if (roll < 93) {
      std::string id = "t" + std::to_string(rng() % 3);
      std::string name = rng() % 10 == 0 ? "" : "Tool" + id;
      events.push_back(tool(id, name, tool_fragments[rng() % tool_fragments.size()], rng() % 2 == 0));
    } else if (roll < 98) {
      events.push_back(context_usage(static_cast<double>(rng() % 120)));
    } else {
      events.push_back(exception("ContentLengthExceededException", "too long"));
    }
  }
  return events;
}

assembler_options random_options(std::mt19937& rng, bool stream) {
  auto o = options(stream);
  o.parse_thinking = rng() % 2 == 0;
  if (rng() % 3 == 0) o.stop_sequences = {"STOP"};
  if (rng() % 3 == 0) o.tool_names = {"Read"};
  return o;
}

/// The message a client SDK would assemble from the SSE transcript.
boost::json::object message_from_sse(std::string_view sse, bool& ok) {
  auto events = parse_sse(sse, ok);
  bool rebuilt = false;
  auto content = content_from_sse(events, rebuilt);
  ok = ok && rebuilt;
  const auto* start = find_event(events, "message_start");
  const auto* delta = find_event(events, "message_delta");
  if (!start || !delta || events.back().type != "message_stop") {
    ok = false;
    return {};
  }
  boost::json::object message = start->at("message").as_object();
  message["content"] = content;
  message["stop_reason"] = delta->at("delta").at("stop_reason");
  message["stop_sequence"] = delta->at("delta").at("stop_sequence");
  message["usage"] = delta->at("usage");
  return message;
}

struct outcome {
  std::string sse;
  std::string message_json;
  std::string stop_reason;
  int64_t output_tokens = 0;
};

outcome run_all(const assembler_options& opts, const std::vector<stream_event>& events) {
  assembler a(opts);
  outcome out;
  out.sse = a.begin();
  for (const auto& e : events) {
    out.sse += a.on_event(e);
    if (a.stopped()) break; // a caller cancels upstream here
  }
  out.sse += a.finish();
  out.message_json = a.message_json();
  out.stop_reason = std::string(a.stop_reason());
  out.output_tokens = a.output_tokens();
  return out;
}

std::vector<stream_event> rechunked(const std::vector<stream_event>& events, std::mt19937& rng) {
  std::vector<stream_event> out;
  for (const auto& e : events) {
    if (e.kind != stream_event_kind::text || e.text.size() < 2) {
      out.push_back(e);
      continue;
    }
    size_t cut = 1 + rng() % (e.text.size() - 1);
    out.push_back(text(e.text.substr(0, cut)));
    out.push_back(text(e.text.substr(cut)));
  }
  return out;
}

} // namespace

TEST_CASE("the JSON reply equals the message rebuilt from the SSE of the same events") {
  std::mt19937 rng(20240601);
  for (int round = 0; round < 3000; ++round) {
    auto events = random_events(rng);
    unsigned seed = rng();
    std::mt19937 stream_rng(seed), json_rng(seed);
    auto stream_opts = random_options(stream_rng, true);
    auto json_opts = random_options(json_rng, false);

    auto streamed = run_all(stream_opts, events);
    bool ok = false;
    auto from_sse = message_from_sse(streamed.sse, ok);
    REQUIRE(ok);

    auto buffered = run_all(json_opts, events);
    CHECK(buffered.sse.empty());
    boost::system::error_code ec;
    auto json = boost::json::parse(buffered.message_json, ec);
    REQUIRE_FALSE(ec);
    CHECK(json.as_object() == from_sse);
    CHECK(buffered.stop_reason == streamed.stop_reason);
    CHECK_FALSE(json.at("content").as_array().empty());
    for (const auto& block : json.at("content").as_array())
      if (block.at("type") == "tool_use") CHECK(block.at("input").is_object());
  }
}

TEST_CASE("splitting text chunks anywhere never changes the assembled content") {
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    auto events = random_events(rng);
    unsigned seed = rng();
    std::mt19937 a_rng(seed), b_rng(seed);
    auto opts_a = random_options(a_rng, true);
    auto opts_b = random_options(b_rng, true);
    auto split = rechunked(events, rng);
    auto a = run_all(opts_a, events);
    auto b = run_all(opts_b, split);
    bool ok_a = false, ok_b = false;
    auto whole = content_of(a.sse, ok_a);
    auto pieces = content_of(b.sse, ok_b);
    REQUIRE(ok_a);
    REQUIRE(ok_b);
    CHECK(boost::json::serialize(whole) == boost::json::serialize(pieces));
    CHECK(a.stop_reason == b.stop_reason);
    CHECK(a.output_tokens == b.output_tokens);
  }
}
