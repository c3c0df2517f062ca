// The real Claude Code request (tests/fixtures): parse it, translate it to
// a Kiro body. Target: translation ≤ 200 µs.

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

} // namespace

int main() {
  auto body = read_fixture();
  if (body.empty()) {
    std::fprintf(stderr, "fixture missing\n");
    return 1;
  }
  auto parsed = kb::claude::parse_messages_request(body);
  if (!parsed) {
    std::fprintf(stderr, "fixture does not parse: %s\n", parsed.error().message.c_str());
    return 1;
  }
  auto conv = parsed.value();
  conv.upstream_model = "claude-sonnet-4.5";
  kb::kiro::build_options opts;
  opts.conversation_id = "00000000-0000-4000-8000-000000000000";
  size_t out_bytes = 0;
  auto parse_us = best_microseconds([&] {
    auto r = kb::claude::parse_messages_request(body);
    out_bytes += r.ok();
  });
  auto translate_us = best_microseconds([&] {
    auto r = kb::kiro::build_request(conv, opts);
    out_bytes += r.ok() ? r->body.size() : 0;
  });
  std::printf("translate.fixture_bytes %zu\n", body.size());
  std::printf("translate.parse_claude_us %.1f\n", parse_us);
  std::printf("translate.build_kiro_us %.1f\n", translate_us);
  std::printf("translate.parse_plus_build_us %.1f\n", parse_us + translate_us);
  return out_bytes == 0;
}
