// The real Claude Code request (tests/fixtures): parse it, translate it to
// a Kiro body. Targets: translation ≤ 200 µs for the fixture; translating
// and shaping a 3 MB Claude Code session ≤ 2 ms (issue 14).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "shared/claude/messages_request.hpp"
#include "shared/kiro/request_builder.hpp"

namespace {

std::string read_fixture() {
  std::ifstream in{KB_SOURCE_DIR "/tests/fixtures/claude-code-request.json"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class F>
double best_microseconds(F&& f, int batches = 50, int runs = 20) {
  auto best = std::chrono::nanoseconds::max();
  for (int b = 0; b < batches; ++b) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i)
      f();
    best = std::min(best, std::chrono::steady_clock::now() - start);
  }
  return std::chrono::duration<double, std::micro>(best).count() / runs;
}

/// A PNG header for 1280x800 followed by `bytes` of filler, as base64.
std::string screenshot_base64(size_t bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string raw("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x05\x00\0\0\x03\x20\x08\x06\0\0\0\0\0\0\0",
                  33);
  for (size_t i = 0; raw.size() < bytes; ++i)
    raw += static_cast<char>((i * 2654435761u) >> 13);
  raw.resize(raw.size() / 3 * 3);
  std::string out;
  for (size_t i = 0; i < raw.size(); i += 3) {
    unsigned v = (unsigned char)raw[i] << 16 | (unsigned char)raw[i + 1] << 8 |
                 (unsigned char)raw[i + 2];
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  return out;
}

/// The fixture grown into a 3 MB session: 60 Read rounds of 33 KB of file
/// text each, the last five also returning a 1280x800 screenshot.
std::string three_megabyte_session(const std::string& fixture) {
  auto prompt_end = fixture.find("{\n      \"role\": \"system\"");
  auto messages_start = fixture.find("\"messages\": [");
  if (prompt_end == std::string::npos || messages_start == std::string::npos)
    return {};
  std::string rounds;
  for (int i = 0; i < 60; ++i) {
    std::string id = "toolu_01" + std::to_string(1000 + i);
    rounds += R"({"role":"assistant","content":[{"type":"text","text":"Reading part )" +
              std::to_string(i) + R"("},{"type":"tool_use","id":")" + id +
              R"(","name":"Read","input":{"file_path":"/tmp/ccap/work/part.txt"}}]},)";
    rounds += R"({"role":"user","content":[{"type":"tool_result","tool_use_id":")" + id +
              R"(","content":[{"type":"text","text":")" + std::string(33000, 'a' + i % 26) +
              "\"}";
    if (i >= 55)
      rounds += R"(,{"type":"image","source":{"type":"base64","media_type":"image/png","data":")" +
                screenshot_base64(150000) + "\"}}";
    rounds += "]}]},";
  }
  rounds += R"({"role":"assistant","content":"I have read every part."},)";
  rounds += R"({"role":"user","content":"Summarize what you read."},)";
  return fixture.substr(0, prompt_end) + rounds + fixture.substr(prompt_end);
}

struct measured {
  double parse_us = 0;
  double build_us = 0;
  size_t body_bytes = 0;
};

measured measure(const std::string& body, size_t max_body_bytes, int batches, int runs) {
  measured m;
  auto parsed = kb::claude::parse_messages_request(body);
  if (!parsed) {
    std::fprintf(stderr, "request does not parse: %s\n", parsed.error().message.c_str());
    return m;
  }
  auto conv = parsed.value();
  conv.upstream_model = "claude-sonnet-4.5";
  kb::kiro::build_options opts;
  opts.conversation_id = "00000000-0000-4000-8000-000000000000";
  opts.agent_continuation_id = "00000000-0000-4000-8000-000000000001";
  opts.max_body_bytes = max_body_bytes;
  size_t sink = 0;
  m.parse_us = best_microseconds(
      [&] { sink += kb::claude::parse_messages_request(body).ok(); }, batches, runs);
  m.build_us = best_microseconds(
      [&] {
        auto r = kb::kiro::build_request(conv, opts);
        m.body_bytes = r.ok() ? r->body.size() : 0;
        sink += m.body_bytes;
      },
      batches, runs);
  if (sink == 0)
    m.body_bytes = 0;
  return m;
}

} // namespace

int main() {
  auto fixture = read_fixture();
  if (fixture.empty()) {
    std::fprintf(stderr, "fixture missing\n");
    return 1;
  }
  auto small = measure(fixture, kb::kiro::default_max_body_bytes, 50, 20);
  std::printf("translate.fixture_bytes %zu\n", fixture.size());
  std::printf("translate.parse_claude_us %.1f\n", small.parse_us);
  std::printf("translate.build_kiro_us %.1f\n", small.build_us);
  std::printf("translate.parse_plus_build_us %.1f\n", small.parse_us + small.build_us);

  auto session = three_megabyte_session(fixture);
  auto whole = measure(session, kb::kiro::default_max_body_bytes, 10, 5);
  auto shaped = measure(session, 1'000'000, 10, 5);
  std::printf("translate.session_bytes %zu\n", session.size());
  std::printf("translate.session_parse_claude_us %.1f\n", whole.parse_us);
  std::printf("translate.session_build_kiro_us %.1f\n", whole.build_us);
  std::printf("translate.session_kiro_bytes %zu\n", whole.body_bytes);
  std::printf("translate.session_shaped_to_1mb_build_kiro_us %.1f\n", shaped.build_us);
  std::printf("translate.session_shaped_kiro_bytes %zu\n", shaped.body_bytes);
  return small.body_bytes == 0 || whole.body_bytes == 0 || shaped.body_bytes == 0;
}
