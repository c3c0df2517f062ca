// Event-stream codec throughput on a realistic Kiro answer: 2,000 text
// chunks of ~40 bytes with tool-use fragments in between.

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "shared/common/json_text.hpp"
#include "shared/eventstream/codec.hpp"
#include "shared/upstream/events.hpp"

namespace es = kb::eventstream;

namespace {

constexpr double min_seconds = 0.4;
constexpr size_t socket_chunk = 1400;

struct kiro_stream {
  std::vector<std::pair<std::string, std::string>> frames; ///< event type, payload
  std::string wire;
  size_t frame_count = 0;
};

kiro_stream make_stream() {
  kiro_stream s;
  const std::string_view words[] = {"the ", "decoder ", "reads ", "frames ", "from ",
                                    "Kiro ", "and ", "forwards ", "text ", "chunks "};
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    for (int w = 0; text.size() < 40; ++w) text += words[(i + w * 3) % 10];
    s.frames.emplace_back("assistantResponseEvent", "{\"content\":" + kb::json_quote(text) + "}");
    if (i % 100 == 99) {
      std::string id = "tooluse_" + std::to_string(i);
      const std::string_view pieces[] = {R"({\"file_path\":)", R"(\"/src/main.cpp\",)",
                                         R"(\"offset\":120,)", R"(\"limit\":400})"};
      for (size_t p = 0; p < 4; ++p)
        s.frames.emplace_back("toolUseEvent", R"({"name":"Read","toolUseId":")" + id +
                                                R"(","input":")" + std::string(pieces[p]) +
                                                R"(","stop":)" + (p == 3 ? "true" : "false") + "}");
    }
  }
  s.frames.emplace_back("meteringEvent", R"({"unit":"credit","unitPlural":"credits","usage":0.1761})");
  s.frames.emplace_back("contextUsageEvent", R"({"contextUsagePercentage":42.5})");
  for (const auto& [type, payload] : s.frames) s.wire += es::encode_event(type, payload);
  s.frame_count = s.frames.size();
  return s;
}

/// Runs `once` (which returns units processed) until min_seconds passed;
/// returns {bytes/s, units/s}.
template <class F>
std::pair<double, double> measure(size_t bytes_per_run, F once) {
  using clock = std::chrono::steady_clock;
  size_t runs = 0, units = 0;
  auto start = clock::now();
  double elapsed = 0;
  do {
    units += once();
    ++runs;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return {double(bytes_per_run) * double(runs) / elapsed, double(units) / elapsed};
}

void print(const char* metric, double value) { std::printf("%s %.1f\n", metric, value); }

} // namespace

int main() {
  auto stream = make_stream();
  std::string_view wire = stream.wire;
  constexpr double mb = 1e6;
  size_t sink = 0;

  auto [crc_bps, crc_runs] = measure(wire.size(), [&] { sink += es::crc32(wire); return size_t{1}; });
  (void)crc_runs;
  print("eventstream.crc32_throughput_mb_s", crc_bps / mb);

  auto [enc_bps, enc_fps] = measure(wire.size(), [&] {
    for (const auto& [type, payload] : stream.frames) sink += es::encode_event(type, payload).size();
    return stream.frame_count;
  });
  print("eventstream.encode_throughput_mb_s", enc_bps / mb);
  print("eventstream.encode_frames_per_s", enc_fps);

  std::vector<es::message> messages;
  messages.reserve(stream.frame_count);
  auto [dec_bps, dec_fps] = measure(wire.size(), [&] {
    messages.clear();
    es::decoder d;
    d.feed(wire, messages);
    sink += messages.size();
    return messages.size();
  });
  if (messages.size() != stream.frame_count) {
    std::fprintf(stderr, "decoded %zu of %zu frames\n", messages.size(), stream.frame_count);
    return 1;
  }
  print("eventstream.decode_throughput_mb_s", dec_bps / mb);
  print("eventstream.decode_frames_per_s", dec_fps);

  auto [chunk_bps, chunk_fps] = measure(wire.size(), [&] {
    messages.clear();
    es::decoder d;
    for (size_t i = 0; i < wire.size(); i += socket_chunk) d.feed(wire.substr(i, socket_chunk), messages);
    sink += messages.size();
    return messages.size();
  });
  print("eventstream.decode_chunked_1400_throughput_mb_s", chunk_bps / mb);
  print("eventstream.decode_chunked_1400_frames_per_s", chunk_fps);

  std::vector<kb::stream_event> events;
  events.reserve(stream.frame_count);
  auto [reader_bps, reader_eps] = measure(wire.size(), [&] {
    events.clear();
    kb::upstream::event_reader reader;
    for (size_t i = 0; i < wire.size(); i += socket_chunk) reader.feed(wire.substr(i, socket_chunk), events);
    sink += events.size();
    return events.size();
  });
  if (events.size() != stream.frame_count) {
    std::fprintf(stderr, "read %zu events of %zu frames\n", events.size(), stream.frame_count);
    return 1;
  }
  print("upstream.event_reader_throughput_mb_s", reader_bps / mb);
  print("upstream.event_reader_events_per_s", reader_eps);

  std::fprintf(stderr, "stream: %zu frames, %zu bytes (checksum %zu)\n", stream.frame_count,
               wire.size(), sink);
  return 0;
}
