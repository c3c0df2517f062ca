#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "shared/eventstream/codec.hpp"

using namespace kb::eventstream;

namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string be32(uint32_t v) {
  std::string out;
  for (int k = 3; k >= 0; --k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  return out;
}

/// A frame with correct CRCs around arbitrary header bytes.
std::string raw_frame(std::string_view header_bytes, std::string_view payload) {
  auto total = static_cast<uint32_t>(16 + header_bytes.size() + payload.size());
  std::string f = be32(total) + be32(static_cast<uint32_t>(header_bytes.size()));
  f += be32(crc32(f));
  f += header_bytes;
  f += payload;
  f += be32(crc32(f));
  return f;
}

std::string sample_stream() {
  std::string s;
  s += encode_event("assistantResponseEvent", R"({"content":"Hello"})");
  s += encode_event("assistantResponseEvent", R"({"content":", world \u00e9"})");
  s += encode_event("toolUseEvent", R"({"name":"Read","toolUseId":"tooluse_1","input":"{\"pa","stop":false})");
  s += encode_event("toolUseEvent", R"({"name":"Read","toolUseId":"tooluse_1","input":"th\":1}","stop":true})");
  s += encode_event("meteringEvent", R"({"unit":"credit","unitPlural":"credits","usage":0.1761})");
  s += encode_exception("ThrottlingException", R"({"message":"slow down"})");
  return s;
}

std::vector<message> decode_all(std::string_view bytes, decode_status* status = nullptr) {
  decoder d;
  std::vector<message> out;
  auto st = d.feed(bytes, out);
  if (status) *status = st;
  return out;
}

} // namespace

TEST_CASE("crc32 matches zlib's check values") {
  CHECK(crc32("123456789") == 0xCBF43926u);
  CHECK(crc32("") == 0u);
  CHECK(crc32("a") == 0xE8B7BE43u);
  CHECK(crc32("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
}

TEST_CASE("crc32 chained over any split equals crc32 of the whole") {
  std::string text = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox";
  for (size_t i = 0; i <= text.size(); ++i) {
    std::string_view v(text);
    CHECK(crc32(v.substr(i), crc32(v.substr(0, i))) == crc32(text));
  }
}

TEST_CASE("a hand-built frame matches the encoder byte for byte") {
  // prelude 24/6, prelude CRC and message CRC computed with zlib.crc32
  auto golden = from_hex("0000001800000006dcd1a61f0161070001627b7df3d78873");
  message msg{{{"a", std::string("b")}}, "{}"};
  CHECK(encode(msg) == golden);
  auto decoded = decode_all(golden);
  REQUIRE(decoded.size() == 1);
  CHECK(decoded[0] == msg);
}

TEST_CASE("a Kiro event frame has the exact prelude and CRCs zlib computes") {
  auto frame = encode_event("assistantResponseEvent", R"({"content":"hi"})");
  REQUIRE(frame.size() == 124);
  CHECK(frame.substr(0, 12) == from_hex("0000007c0000005c3bddcf78"));
  CHECK(frame.substr(120) == from_hex("101904e2"));
  auto decoded = decode_all(frame);
  REQUIRE(decoded.size() == 1);
  const auto& h = decoded[0].headers;
  REQUIRE(h.size() == 3);
  CHECK(h[0] == header{":event-type", std::string("assistantResponseEvent")});
  CHECK(h[1] == header{":content-type", std::string("application/json")});
  CHECK(h[2] == header{":message-type", std::string("event")});
  CHECK(decoded[0].payload == R"({"content":"hi"})");
}

TEST_CASE("an exception frame carries the exception type and message type") {
  auto decoded = decode_all(encode_exception("ContentLengthExceededException", R"({"message":"x"})"));
  REQUIRE(decoded.size() == 1);
  REQUIRE(decoded[0].string_header(":exception-type") != nullptr);
  CHECK(*decoded[0].string_header(":exception-type") == "ContentLengthExceededException");
  CHECK(*decoded[0].string_header(":message-type") == "exception");
  CHECK(decoded[0].string_header(":event-type") == nullptr);
}

TEST_CASE("all ten header value types survive a round trip") {
  uuid_value id;
  for (uint8_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<uint8_t>(0xF0 + i);
  message msg;
  msg.headers = {
    {"t", true},
    {"f", false},
    {"i8", int8_t{-7}},
    {"i16", int16_t{-12345}},
    {"i32", int32_t{-2000000000}},
    {"i64", int64_t{-9000000000000000000LL}},
    {"bytes", bytes_value{std::string("\x00\xFF\x10", 3)}},
    {"str", std::string("caf\xC3\xA9")},
    {"ts", timestamp_value{1718000000123}},
    {"uuid", id},
  };
  msg.payload = std::string("bin\0ary", 7);
  auto wire = encode(msg);
  // 16 framing + names (1+1+2+3+3+3+5+3+2+4=27) + 10 name lengths + 10 types
  // + values (0+0+1+2+4+8+(2+3)+(2+5)+8+16=51) + payload 7
  CHECK(wire.size() == 16 + 27 + 10 + 10 + 51 + 7);
  std::vector<header_type> types;
  for (const auto& h : msg.headers) types.push_back(type_of(h.value));
  CHECK(types == std::vector<header_type>{header_type::bool_true, header_type::bool_false,
                                          header_type::byte, header_type::int16, header_type::int32,
                                          header_type::int64, header_type::byte_array,
                                          header_type::string, header_type::timestamp,
                                          header_type::uuid});
  auto decoded = decode_all(wire);
  REQUIRE(decoded.size() == 1);
  CHECK(decoded[0] == msg);
  CHECK(decoded[0].string_header("str") != nullptr);
  CHECK(decoded[0].string_header("i32") == nullptr);
}

TEST_CASE("an integer header is written big-endian after its type byte") {
  auto wire = encode(message{{{"n", int32_t{0x01020304}}}, ""});
  CHECK(wire.substr(12, 7) == std::string("\x01n\x04\x01\x02\x03\x04", 7));
}

TEST_CASE("messages the format cannot represent encode to an empty string") {
  CHECK(encode(message{{{"", std::string("v")}}, "p"}).empty());
  CHECK(encode(message{{{std::string(256, 'n'), true}}, ""}).empty());
  CHECK(encode(message{{{"big", std::string(65536, 'x')}}, ""}).empty());
  CHECK(encode(message{{{"ok", std::string(65535, 'x')}}, ""}).size() == 16 + 1 + 2 + 1 + 2 + 65535);
  CHECK_FALSE(is_encodable(message{{{"", false}}, ""}));
}

TEST_CASE("a frame with no headers and no payload is the 16-byte minimum") {
  auto wire = encode(message{});
  CHECK(wire.size() == 16);
  auto decoded = decode_all(wire);
  REQUIRE(decoded.size() == 1);
  CHECK(decoded[0].headers.empty());
  CHECK(decoded[0].payload.empty());
}

TEST_CASE("a multi-message stream split at every byte boundary decodes the same") {
  auto stream = sample_stream();
  auto whole = decode_all(stream);
  REQUIRE(whole.size() == 6);
  CHECK(whole[1].payload == R"({"content":", world \u00e9"})");
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    decoder d;
    std::vector<message> out;
    CHECK(d.feed(std::string_view(stream).substr(0, cut), out) == decode_status::ok);
    CHECK(d.feed(std::string_view(stream).substr(cut), out) == decode_status::ok);
    CHECK(out == whole);
    CHECK_FALSE(d.has_partial());
  }
}

TEST_CASE("a stream fed one byte at a time decodes the same") {
  auto stream = sample_stream();
  decoder d;
  std::vector<message> out;
  for (char c : stream) REQUIRE(d.feed(std::string_view(&c, 1), out) == decode_status::ok);
  CHECK(out == decode_all(stream));
  CHECK(d.messages_decoded() == 6);
  CHECK(d.error_count() == 0);
}

TEST_CASE("a large payload arriving in socket-sized chunks decodes intact") {
  std::string payload(1 << 20, 'x');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  auto stream = encode_event("assistantResponseEvent", payload) + sample_stream();
  decoder d;
  std::vector<message> out;
  for (size_t i = 0; i < stream.size(); i += 1400)
    CHECK(d.feed(std::string_view(stream).substr(i, 1400), out) == decode_status::ok);
  REQUIRE(out.size() == 7);
  CHECK(out[0].payload == payload);
}

TEST_CASE("a truncated stream leaves a partial message and completes when the rest arrives") {
  auto frame = encode_event("assistantResponseEvent", R"({"content":"cut"})");
  decoder d;
  std::vector<message> out;
  CHECK(d.feed(std::string_view(frame).substr(0, frame.size() - 3), out) == decode_status::ok);
  CHECK(out.empty());
  CHECK(d.has_partial());
  CHECK(d.feed(std::string_view(frame).substr(frame.size() - 3), out) == decode_status::ok);
  CHECK(out.size() == 1);
  CHECK_FALSE(d.has_partial());

  decoder d2;
  CHECK(d2.feed(std::string_view(frame).substr(0, 5), out) == decode_status::ok);
  CHECK(d2.has_partial());
}

TEST_CASE("a corrupt prelude CRC is resynced over and the next good frame decodes") {
  auto a = encode_event("assistantResponseEvent", R"({"content":"a"})");
  auto b = encode_event("assistantResponseEvent", R"({"content":"b"})");
  auto c = encode_event("assistantResponseEvent", R"({"content":"c"})");
  b[9] ^= 0x40;
  decoder d;
  std::vector<message> out;
  CHECK(d.feed(a + b + c, out) == decode_status::corrupt);
  REQUIRE(out.size() == 2);
  CHECK(out[0].payload == R"({"content":"a"})");
  CHECK(out[1].payload == R"({"content":"c"})");
  CHECK(d.last_error() == decode_error::prelude_crc_mismatch);
  CHECK(d.error_count() == 1); // one resync scan is one error
  CHECK(d.consecutive_errors() == 0);
  CHECK(d.bytes_skipped() == b.size());
  CHECK_FALSE(d.failed());
}

TEST_CASE("garbage before a frame counts as one error however long it is") {
  std::string garbage(3000, '\xAB');
  auto frame = encode_event("assistantResponseEvent", R"({"content":"ok"})");
  decoder d;
  std::vector<message> out;
  for (char ch : garbage + frame) d.feed(std::string_view(&ch, 1), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == R"({"content":"ok"})");
  CHECK(d.error_count() == 1);
  CHECK(d.bytes_skipped() == 3000);
}

TEST_CASE("a corrupt message CRC skips exactly that frame") {
  auto a = encode_event("assistantResponseEvent", R"({"content":"a"})");
  auto b = encode_event("assistantResponseEvent", R"({"content":"b"})");
  b[b.size() - 8] ^= 0x01;
  decoder d;
  std::vector<message> out;
  CHECK(d.feed(b + a, out) == decode_status::corrupt);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == R"({"content":"a"})");
  CHECK(d.last_error() == decode_error::message_crc_mismatch);
  CHECK(d.bytes_skipped() == b.size());
  CHECK(d.error_count() == 1);
}

TEST_CASE("malformed headers inside an intact frame skip that frame") {
  auto good = encode_event("meteringEvent", R"({"usage":1})");
  auto unknown_type = raw_frame(std::string("\x01x\x2a", 3), "{}");
  auto overrun = raw_frame(std::string("\x01x\x07\x00\x09" "abc", 8), "");
  auto empty_name = raw_frame(std::string("\x00\x00", 2), "");
  auto missing_type = raw_frame(std::string("\x02xy", 3), "");
  for (const auto& bad : {unknown_type, overrun, empty_name, missing_type}) {
    decoder d;
    std::vector<message> out;
    CHECK(d.feed(bad + good, out) == decode_status::corrupt);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == R"({"usage":1})");
    CHECK(d.last_error() == decode_error::malformed_headers);
    CHECK(d.bytes_skipped() == bad.size());
  }
}

TEST_CASE("impossible lengths with a valid prelude CRC trigger a resync") {
  std::string short_total = be32(8) + be32(0);
  short_total += be32(crc32(short_total));
  std::string long_headers = be32(20) + be32(5);
  long_headers += be32(crc32(long_headers));
  auto good = encode_event("assistantResponseEvent", R"({"content":"g"})");
  for (const auto& bad : {short_total, long_headers}) {
    decoder d;
    std::vector<message> out;
    CHECK(d.feed(bad + good, out) == decode_status::corrupt);
    REQUIRE(out.size() == 1);
    CHECK(d.last_error() == decode_error::impossible_lengths);
    CHECK(d.bytes_skipped() == 12);
  }
}

TEST_CASE("a frame above the size cap is skipped without buffering and the next one decodes") {
  auto big = encode_event("assistantResponseEvent", std::string(200, 'z'));
  auto good = encode_event("assistantResponseEvent", R"({"content":"g"})");
  REQUIRE(good.size() <= 128);
  auto stream = big + good;
  for (size_t step : {stream.size(), size_t{1}, size_t{7}}) {
    decoder d(128);
    std::vector<message> out;
    bool saw_corrupt = false;
    for (size_t i = 0; i < stream.size(); i += step) {
      auto st = d.feed(std::string_view(stream).substr(i, step), out);
      CHECK(st != decode_status::failed);
      saw_corrupt = saw_corrupt || st == decode_status::corrupt;
      if (i + step >= 12 && i + step < big.size()) CHECK(d.has_partial());
    }
    CHECK(saw_corrupt);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == R"({"content":"g"})");
    CHECK(d.last_error() == decode_error::frame_too_large);
    CHECK(d.bytes_skipped() == big.size());
    CHECK_FALSE(d.has_partial());
  }
}

TEST_CASE("five consecutive errors make the decoder fail for good") {
  auto bad = encode_event("assistantResponseEvent", R"({"content":"b"})");
  bad[bad.size() - 1] ^= 0x01;
  auto good = encode_event("assistantResponseEvent", R"({"content":"g"})");
  decoder d;
  std::vector<message> out;
  for (int i = 0; i < 4; ++i) CHECK(d.feed(bad, out) == decode_status::corrupt);
  CHECK(d.consecutive_errors() == 4);
  CHECK_FALSE(d.failed());
  CHECK(d.feed(bad + good, out) == decode_status::failed);
  CHECK(d.failed());
  CHECK(out.empty());
  CHECK(d.feed(good, out) == decode_status::failed);
  CHECK(out.empty());
  CHECK_FALSE(d.has_partial());
  CHECK(d.error_count() == 5);
}

TEST_CASE("a good message between errors resets the consecutive count") {
  auto bad = encode_event("assistantResponseEvent", R"({"content":"b"})");
  bad[20] ^= 0x01;
  auto good = encode_event("assistantResponseEvent", R"({"content":"g"})");
  std::string stream;
  for (int round = 0; round < 3; ++round) stream += bad + bad + bad + bad + good;
  decoder d;
  std::vector<message> out;
  CHECK(d.feed(stream, out) == decode_status::corrupt);
  CHECK(out.size() == 3);
  CHECK(d.error_count() == 12);
  CHECK(d.consecutive_errors() == 0);
  CHECK_FALSE(d.failed());
}

TEST_CASE("random garbage in random chunk sizes never crashes or yields messages") {
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    std::string garbage(1 + rng() % 4000, '\0');
    for (auto& ch : garbage) ch = static_cast<char>(rng());
    decoder d(1 + rng() % 5000);
    std::vector<message> out;
    size_t i = 0;
    while (i < garbage.size()) {
      size_t n = 1 + rng() % 300;
      d.feed(std::string_view(garbage).substr(i, n), out);
      i += n;
    }
    CHECK(out.empty());
    if (garbage.size() >= 12) CHECK(d.error_count() >= 1);
  }
}

TEST_CASE("random bit flips in a valid stream keep every surviving message intact") {
  auto stream = sample_stream();
  auto whole = decode_all(stream);
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    auto damaged = stream;
    damaged[rng() % damaged.size()] ^= static_cast<char>(1 << (rng() % 8));
    decoder d;
    std::vector<message> out;
    CHECK(d.feed(damaged, out) == decode_status::corrupt);
    CHECK(out.size() == whole.size() - 1);
    for (const auto& m : out) CHECK(std::find(whole.begin(), whole.end(), m) != whole.end());
  }
}
