// libFuzzer target for the event-stream decoder. Built by tests/fuzz/run.sh.
//
// The first input byte picks a mode: raw bytes as a stream, or frames
// encoded from the input and then damaged at input-chosen offsets (valid
// CRCs are out of reach for blind mutation). Either way the stream is fed
// whole and in input-derived split sizes, and both runs must agree exactly.
// Every decoded message must survive an encode → decode round trip.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shared/eventstream/codec.hpp"

namespace es = kb::eventstream;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

/// Splits `input` into frames: each piece is "type\0payload", separated by 0xFF.
std::string frames_from(std::string_view input) {
  std::string stream;
  while (!input.empty()) {
    auto end = input.find('\xFF');
    auto piece = input.substr(0, end);
    auto nul = piece.find('\0');
    auto type = piece.substr(0, std::min(nul, piece.size()));
    auto payload = nul == std::string_view::npos ? std::string_view{} : piece.substr(nul + 1);
    if (type.size() % 3 == 0) stream += es::encode_exception(type, payload);
    else stream += es::encode_event(type, payload);
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  return stream;
}

struct run_result {
  std::vector<es::message> messages;
  uint64_t errors = 0;
  uint64_t skipped = 0;
  bool failed = false;
  bool partial = false;
};

run_result decode(std::string_view stream, size_t cap, std::string_view split_sizes) {
  es::decoder d(cap);
  run_result r;
  size_t i = 0, k = 0;
  while (i < stream.size()) {
    size_t n = stream.size();
    if (!split_sizes.empty())
      n = 1 + static_cast<unsigned char>(split_sizes[k++ % split_sizes.size()]) % 64;
    auto status = d.feed(stream.substr(i, n), r.messages);
    require(status != es::decode_status::failed || d.failed());
    i += n;
  }
  r.errors = d.error_count();
  r.skipped = d.bytes_skipped();
  r.failed = d.failed();
  r.partial = d.has_partial();
  return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto mode = static_cast<unsigned char>(input[0]);
  size_t cap = 16 + static_cast<unsigned char>(input[1]) * 8;
  std::string_view splits = input.substr(2, std::min<size_t>(8, input.size() - 2));
  std::string_view body = input.substr(2 + splits.size());

  std::string stream;
  if (mode & 1) {
    stream.assign(body);
  } else {
    stream = frames_from(body);
    // Damage: each split byte above 0xC0 flips one bit at a derived offset.
    for (unsigned char s : splits)
      if (s > 0xC0 && !stream.empty()) stream[(s * 7919u) % stream.size()] ^= static_cast<char>(1 << (s & 7));
  }

  auto whole = decode(stream, cap, {});
  auto pieces = decode(stream, cap, splits);
  require(whole.messages == pieces.messages);
  require(whole.errors == pieces.errors);
  require(whole.skipped == pieces.skipped);
  require(whole.failed == pieces.failed);
  require(whole.partial == pieces.partial);

  for (const auto& msg : whole.messages) {
    auto wire = es::encode(msg);
    require(!wire.empty());
    es::decoder again(wire.size());
    std::vector<es::message> out;
    require(again.feed(wire, out) == es::decode_status::ok);
    require(out.size() == 1 && out[0] == msg);
  }
  return 0;
}
