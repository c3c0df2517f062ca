// libFuzzer target for the upstream answer reader (http1_response_reader,
// services/http/http1_reader) as http1_client drives it: status line,
// interim 1xx answers, header block, a body framed by length, chunks or the
// connection's end, answer after answer on one connection. Built by run.sh.
//
// The first byte picks how the input is split into reads (whole, or pieces
// of up to 1..255 bytes: TCP segments, TLS records); the same bytes are then
// read whole, and both runs must tell the same story.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/http/http1_reader.hpp"
#include "services/http/socket_stream.hpp"
#include "tests/fuzz/http_feed.hpp"

namespace {

using kb::fuzz::require;

std::string transcript(std::string_view data, const std::vector<size_t>& sizes) {
  int fds[2];
  if (!kb::fuzz::feed(data, sizes, fds))
    return "unfed";
  std::string story;
  {
    kb::socket_stream in{fds[1], 1000, 1000};
    for (int answer = 0; answer < 32; ++answer) {
      kb::http1_response_reader r{in};
      if (!r.read_head(answer % 3 == 2)) { // every third answers a HEAD
        require(r.fault() != kb::http1_fault::none && !r.error().empty());
        story += "head-failed:" + std::to_string(static_cast<int>(r.fault()));
        break;
      }
      require(r.status >= 200 && r.status <= 999);
      story += "status:" + std::to_string(r.status) + "\n";
      uint64_t got = 0;
      std::string body;
      bool aborted = false;
      bool ok = r.read_body(
        [&](const char* p, size_t n) {
          got += n;
          body.append(p, n);
          return got <= (1u << 20);
        },
        aborted);
      story.append("body:").append(body).append("\n");
      if (!ok) {
        require(r.fault() != kb::http1_fault::none);
        story += "body-failed:" + std::to_string(static_cast<int>(r.fault()));
        break;
      }
      if (r.framing() == kb::http1_reader::framing::until_close) {
        require(r.close_after());
        story += "closed";
        break;
      }
      if (r.close_after())
        break;
    }
  }
  ::close(fds[0]);
  ::close(fds[1]);
  return story;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16384)
    return 0;
  std::string_view stream{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto split = transcript(stream, kb::fuzz::pieces(stream, data[0], data[0]));
  auto whole = transcript(stream, kb::fuzz::pieces(stream, 0, 0));
  if (split != "unfed" && whole != "unfed")
    require(split == whole);
  return 0;
}
