// libFuzzer target for the HTTP request reader (services/http/http1_reader)
// as our server drives it: lines, header blocks, bodies framed by length or
// chunks, message after message on one connection. Built by run.sh.
//
// The first byte picks how the input is split into reads (whole, or pieces
// of up to 1..255 bytes); the same bytes are then read whole, and both runs
// must tell the same story: framing never depends on where reads end.
// Invariants: no message is both chunked and length-framed, a length-framed
// body is exactly its Content-Length, and a failure names its kind.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/http/http1_reader.hpp"
#include "services/http/socket_stream.hpp"
#include "tests/fuzz/http_feed.hpp"

namespace {

using kb::fuzz::require;

/// What the reader made of the stream, message by message.
std::string transcript(std::string_view data, const std::vector<size_t>& sizes) {
  int fds[2];
  if (!kb::fuzz::feed(data, sizes, fds))
    return "unfed";
  std::string story;
  {
    kb::socket_stream in{fds[1], 1000, 1000};
    for (int message = 0; message < 32; ++message) {
      kb::http1_reader r{in, "request"};
      std::string_view line;
      if (!r.read_line(line)) {
        story += "end:" + std::to_string(static_cast<int>(r.fault));
        break;
      }
      story.append("line:").append(line).append("\n");
      if (line.empty())
        continue;
      bool ok = r.read_fields(line.find("HTTP/1.0") != std::string_view::npos ? 0 : 1,
                              [&](std::string_view name, std::string_view value) {
                                require(kb::is_http_token(name));
                                require(kb::is_field_value(value));
                                story.append(name).append("=").append(value).append("\n");
                              });
      if (!ok) {
        require(r.fault != kb::http1_fault::none && !r.error.empty());
        story += "fields-failed:" + std::to_string(static_cast<int>(r.fault));
        break;
      }
      require(!(r.chunked() && r.content_length()));
      auto framing = r.body_framing(true, false);
      uint64_t got = 0;
      std::string body;
      bool aborted = false;
      ok = r.read_body(
        framing,
        [&](const char* p, size_t n) {
          got += n;
          body.append(p, n);
          return got <= (1u << 20);
        },
        aborted);
      story.append("body:").append(body).append("\n");
      if (!ok) {
        require(r.fault != kb::http1_fault::none);
        story += "body-failed:" + std::to_string(static_cast<int>(r.fault));
        break;
      }
      if (framing == kb::http1_reader::framing::length)
        require(got == *r.content_length());
      if (r.close_after) {
        story += "close";
        break;
      }
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
