// Reply assembly cost on a realistic Kiro answer: 2,000 text chunks of ~40
// bytes and 2 tool calls (4 fragments each), assembled to Claude SSE and to
// a non-stream JSON reply.

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "shared/common/stream_event.hpp"
#include "shared/reply/assembler.hpp"
#include "shared/reply/token_estimate.hpp"

namespace {

constexpr double min_seconds = 0.4;

std::vector<kb::stream_event> make_events() {
  std::vector<kb::stream_event> events;
  const std::string_view words[] = {"the ", "assembler ", "turns ", "events ", "into ",
                                    "Claude ", "blocks ", "with ", "text ", "deltas "};
  const std::string_view pieces[] = {R"({"file_path":)", R"("/src/main.cpp",)",
                                     R"("offset":120,)", R"("limit":400})"};
  for (int i = 0; i < 1992; ++i) {
    kb::stream_event e;
    for (int w = 0; e.text.size() < 40; ++w) e.text += words[(i + w * 3) % 10];
    events.push_back(std::move(e));
    if (i == 700 || i == 1400) {
      for (size_t p = 0; p < 4; ++p) {
        kb::stream_event t;
        t.kind = kb::stream_event_kind::tool_use;
        t.tool_use_id = "tooluse_" + std::to_string(i);
        t.name = "Read";
        t.text = std::string(pieces[p]);
        t.stop = p == 3;
        events.push_back(std::move(t));
      }
    }
  }
  return events;
}

kb::reply::assembler_options make_options(bool stream) {
  kb::reply::assembler_options o;
  o.message_id = "msg_0123456789abcdef0123456789abcdef";
  o.model = "claude-sonnet-4-5";
  o.stream = stream;
  o.input_tokens_estimate = 1234;
  o.tool_names = {"Read"};
  return o;
}

/// Assembles the stream repeatedly for min_seconds; returns µs per stream.
double measure(const std::vector<kb::stream_event>& events, bool stream, bool thinking,
               size_t& sink) {
  using clock = std::chrono::steady_clock;
  auto options = make_options(stream);
  options.parse_thinking = thinking;
  options.stop_sequences = thinking ? std::vector<std::string>{"\n\nHuman:"} : std::vector<std::string>{};
  size_t runs = 0;
  auto start = clock::now();
  double elapsed = 0;
  do {
    kb::reply::assembler a(options);
    sink += a.begin().size();
    for (const auto& e : events) sink += a.on_event(e).size();
    sink += a.finish().size();
    if (!stream) sink += a.message_json().size();
    ++runs;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return elapsed * 1e6 / double(runs);
}

void print(const char* metric, double value) { std::printf("%s %.1f\n", metric, value); }

} // namespace

int main() {
  auto events = make_events();
  size_t sink = 0;
  measure(events, true, false, sink); // warm-up: allocator and caches
  double per_stream = measure(events, true, false, sink);
  print("reply.assemble_2000_events_us", per_stream);
  print("reply.events_per_s", double(events.size()) / per_stream * 1e6);
  double filtered = measure(events, true, true, sink);
  print("reply.assemble_2000_events_thinking_stop_us", filtered);
  double json = measure(events, false, false, sink);
  print("reply.assemble_2000_events_json_us", json);

  std::string text;
  for (const auto& e : events) text += e.text;
  using clock = std::chrono::steady_clock;
  size_t runs = 0;
  auto start = clock::now();
  double elapsed = 0;
  do {
    sink += static_cast<size_t>(kb::tokens::estimate_text(text));
    ++runs;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  print("reply.estimate_text_mb_s", double(text.size()) * double(runs) / elapsed / 1e6);
  return sink == 0 ? 1 : 0;
}
