// Kiro's image limits: the header reader and the current turn's checks.

#include <random>

#include <doctest/doctest.h>

#include "request_test_support.hpp"
#include "shared/claude/image_limits.hpp"
#include "tests/support/image_files.hpp"

using namespace kb;
using namespace kb::claude;
using namespace kb::claude::test;
using kb::test::base64_encode;

namespace {

bool is(std::optional<pixel_size> got, uint32_t width, uint32_t height) {
  return got && got->width == width && got->height == height;
}

/// An image block (base64 source) as JSON.
std::string image_block(std::string_view file, std::string_view media_type = "image/png") {
  return std::string(R"({"type":"image","source":{"type":"base64","media_type":")") +
         std::string(media_type) + R"(","data":")" + base64_encode(file) + "\"}}";
}

std::string blocks(size_t n, std::string_view block) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    out += block;
  }
  return out;
}

} // namespace

TEST_CASE("the pixel size is read from PNG, JPEG, GIF and WebP headers") {
  CHECK(is(image_size(kb::test::png_file(1280, 800)), 1280, 800));
  CHECK(is(image_size(kb::test::jpeg_file(4032, 3024)), 4032, 3024));
  CHECK(is(image_size(kb::test::gif_file(320, 200)), 320, 200));
  CHECK(is(image_size(kb::test::webp_file("VP8 ", 1000, 700)), 1000, 700));
  CHECK(is(image_size(kb::test::webp_file("VP8L", 9000, 16)), 9000, 16));
  CHECK(is(image_size(kb::test::webp_file("VP8X", 16383, 12000)), 16383, 12000));
}

TEST_CASE("a JPEG's frame header is found after large EXIF segments") {
  // 200 KB of APP1 segments before the frame header, as a phone camera writes.
  auto jpeg = kb::test::jpeg_file(8064, 6048, 200000);
  CHECK(is(image_size(jpeg), 8064, 6048));
  CHECK(is(image_size_base64(base64_encode(jpeg)), 8064, 6048));
}

TEST_CASE("base64 is read without decoding it all: standard, URL-safe, with line breaks, unpadded") {
  auto png = kb::test::png_file(2001, 17, 1000);
  std::string text = base64_encode(png);
  CHECK(is(image_size_base64(text), 2001, 17));
  std::string url_safe = text;
  for (char& c : url_safe) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  CHECK(is(image_size_base64(url_safe), 2001, 17));
  std::string wrapped;
  for (size_t i = 0; i < text.size(); i += 76) wrapped += text.substr(i, 76) + "\r\n";
  CHECK(is(image_size_base64(wrapped), 2001, 17));
  auto gif = kb::test::gif_file(7, 9, 0); // 10 bytes: 16 characters with "=="
  std::string unpadded = base64_encode(gif);
  while (unpadded.back() == '=') unpadded.pop_back();
  CHECK(is(image_size_base64(unpadded), 7, 9));
}

TEST_CASE("an unknown format, a cut header or a zero side has no size") {
  CHECK_FALSE(image_size(""));
  CHECK_FALSE(image_size("not an image at all"));
  auto png = kb::test::png_file(10, 10);
  CHECK_FALSE(image_size(png.substr(0, 20)));
  CHECK_FALSE(image_size(kb::test::png_file(0, 10)));
  auto jpeg = kb::test::jpeg_file(640, 480);
  CHECK_FALSE(image_size(jpeg.substr(0, jpeg.find("\xFF\xC0"))));
  CHECK_FALSE(image_size_base64("AAAA"));
  CHECK_FALSE(image_size_base64("not base64!"));
  CHECK_FALSE(image_size_base64(base64_encode(png.substr(0, 23))));
}

TEST_CASE("random bytes and random base64 never crash the reader") {
  std::mt19937 rng(7);
  const std::string starts[] = {"\xFF\xD8", "\x89PNG\r\n\x1a\n", "GIF89a", "RIFF\x10\x00\x00\x00WEBPVP8X"};
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(starts[i % 4]);
    size_t n = rng() % 64;
    for (size_t k = 0; k < n; ++k) bytes += static_cast<char>(rng() & 0xFF);
    (void)image_size(bytes);
    std::string text = base64_encode(bytes);
    if (!text.empty() && rng() % 3 == 0) text[rng() % text.size()] = "=-_\n!"[rng() % 5];
    (void)image_size_base64(text);
  }
}

TEST_CASE("the limits: 5 MiB of base64, 8000 px per side, 2000 px in a request of more than 20 images") {
  CHECK(image_limit_problem(max_image_base64_bytes, std::nullopt, 1).empty());
  CHECK(image_limit_problem(max_image_base64_bytes + 1, std::nullopt, 1) ==
        "image exceeds 5 MB maximum: 5242881 bytes > 5242880 bytes");
  CHECK(image_limit_problem(1000, pixel_size{8000, 8000}, 1).empty());
  CHECK(image_limit_problem(1000, pixel_size{8001, 10}, 1) ==
        "image dimensions exceed max allowed size: 8000 pixels (the image is 8001x10)");
  CHECK(image_limit_problem(1000, pixel_size{2001, 10}, 20).empty());
  CHECK(image_limit_problem(1000, pixel_size{2000, 2000}, 21).empty());
  CHECK(image_limit_problem(1000, pixel_size{10, 2001}, 21) ==
        "At least one of the image dimensions exceed max allowed size for many-image "
        "requests: 2000 pixels (the image is 10x2001, the request has 21 images)");
}

TEST_CASE("an oversized image in the current turn is a 400 naming the block and the limit") {
  auto big = std::string(R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":")") +
             std::string(max_image_base64_bytes + 4, 'A') + "\"}}";
  CHECK(messages_error(body_with_content("user", "[" + big + "]")) ==
        "messages.0.content.0.source.data: image exceeds 5 MB maximum: 5242884 bytes > "
        "5242880 bytes");
  CHECK(messages_error(body_with_content(
            "user", "[{\"type\":\"text\",\"text\":\"look\"}," +
                        image_block(kb::test::png_file(9000, 100)) + "]")) ==
        "messages.0.content.1.source.data: image dimensions exceed max allowed size: 8000 "
        "pixels (the image is 9000x100)");
}

TEST_CASE("a tool result's image in the current turn is checked too") {
  std::string messages =
      R"([{"role":"user","content":"shoot"},)"
      R"({"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Shot","input":{}}]},)"
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[)" +
      image_block(kb::test::jpeg_file(12000, 9000), "image/jpeg") + "]}]}]";
  CHECK(messages_error(body_with("", messages)) ==
        "messages.2.content.0.content.0.source.data: image dimensions exceed max allowed "
        "size: 8000 pixels (the image is 12000x9000)");
}

TEST_CASE("more than 20 images in the current turn must each be at most 2000 px") {
  auto small = image_block(kb::test::png_file(2000, 1000));
  CHECK(messages_error(body_with_content("user", "[" + blocks(21, small) + "]")) == "ok");
  auto content = "[" + blocks(20, small) + "," + image_block(kb::test::png_file(2001, 1000)) + "]";
  CHECK(messages_error(body_with_content("user", content)) ==
        "messages.0.content.20.source.data: At least one of the image dimensions exceed max "
        "allowed size for many-image requests: 2000 pixels (the image is 2001x1000, the "
        "request has 21 images)");
  content = "[" + blocks(19, small) + "," + image_block(kb::test::png_file(2001, 1000)) + "]";
  CHECK(messages_error(body_with_content("user", content)) == "ok");
}

TEST_CASE("more than 100 images in the current turn are refused") {
  auto tiny = image_block(kb::test::png_file(10, 10));
  CHECK(messages_error(body_with_content("user", "[" + blocks(100, tiny) + "]")) == "ok");
  CHECK(messages_error(body_with_content("user", "[" + blocks(101, tiny) + "]")) ==
        "messages: too many images in the last user turn: 101 > 100 (Kiro accepts at most "
        "100 images per request)");
}

TEST_CASE("the current turn is the trailing run of user messages; history images are not refused") {
  auto huge = image_block(kb::test::png_file(9000, 9000));
  std::string history_image =
      R"([{"role":"user","content":[)" + huge +
      R"(]},{"role":"assistant","content":"seen"},{"role":"user","content":"and now?"}])";
  CHECK(messages_error(body_with("", history_image)) == "ok");
  std::string two_user_messages = R"([{"role":"user","content":[)" + huge +
                                  R"(]},{"role":"system","content":"note"},)"
                                  R"({"role":"user","content":"what is it?"}])";
  CHECK(messages_error(body_with("", two_user_messages)) ==
        "messages.0.content.0.source.data: image dimensions exceed max allowed size: 8000 "
        "pixels (the image is 9000x9000)");
  std::string prefill = R"([{"role":"user","content":[)" + huge +
                        R"(]},{"role":"assistant","content":"It shows"}])";
  CHECK(messages_error(body_with("", prefill)) == "ok");
}
