// Kiro's image limits on a request's turns: history images over them become
// placeholders, the current message's are refused.

#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
#include "shared/kiro/image_fit.hpp"
#include "tests/support/image_files.hpp"

using namespace kb;
using namespace kb::kiro;
using namespace kb::kiro::test;
using kb::test::base64_encode;
namespace json = boost::json;

namespace {

image png(uint32_t width, uint32_t height, size_t extra = 64) {
  return image{"image/png", base64_encode(kb::test::png_file(width, height, extra))};
}

std::string text_of(const json::value& entry) {
  const auto& obj = entry.as_object();
  if (auto* u = obj.if_contains("userInputMessage"))
    return std::string(u->at("content").as_string());
  return std::string(obj.at("assistantResponseMessage").at("content").as_string());
}

} // namespace

TEST_CASE("a history image over Kiro's limits becomes a placeholder; the same in the current message is refused") {
  auto conv = make_conversation(
      {user_turn("first"), assistant_turn("ok"), user_turn("second")});
  conv.turns[0].images = {png(9000, 100)};
  auto body = body_of(conv);
  CHECK(text_of(history_of(body).at(0)) ==
        "first\n[image omitted: image/png: image dimensions exceed max allowed size: 8000 "
        "pixels (the image is 9000x100)]");
  CHECK_FALSE(history_of(body).at(0).at("userInputMessage").as_object().contains("images"));

  conv.turns[2].images = {png(100, 9000)};
  auto built = build_request(conv, fixed_options());
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().message ==
        "image 1 of the current message: image dimensions exceed max allowed size: 8000 "
        "pixels (the image is 100x9000)");
}


TEST_CASE("more than 20 images: history images over 2000 px go") {
  std::vector<turn> turns{user_turn("old"), assistant_turn("ok"), user_turn("now")};
  turns[0].images = {png(3000, 100), png(1000, 100)};
  for (int i = 0; i < 20; ++i)
    turns[2].images.push_back(png(500, 500));
  std::vector<turn> shaped = turns;
  CHECK_FALSE(fit_image_limits(shaped));
  CHECK(shaped[0].images.size() == 1);
  CHECK(shaped[0].text ==
        "old\n[image omitted: image/png: At least one of the image dimensions exceed max "
        "allowed size for many-image requests: 2000 pixels (the image is 3000x100, the "
        "request has 22 images)]");
  CHECK(shaped[2].images.size() == 20);
}


TEST_CASE("a current image over 2000 px keeps the request at 20 images: the oldest history images go") {
  std::vector<turn> turns{user_turn("a"), assistant_turn("ok"), user_turn("b"),
                          assistant_turn("ok"), user_turn("now")};
  turns[0].images = {png(10, 10), png(10, 10)};
  turns[2].images = {png(10, 10)};
  for (int i = 0; i < 18; ++i)
    turns[4].images.push_back(png(10, 10));
  turns[4].images.push_back(png(4000, 3000));
  CHECK_FALSE(fit_image_limits(turns));
  CHECK(turns[0].images.empty());
  CHECK(turns[2].images.size() == 1);
  CHECK(turns[0].text.find("[image omitted: image/png: the request would have more than 20 "
                           "images with one over 2000 pixels]") != std::string::npos);
}


TEST_CASE("more than 100 images: the oldest history images go") {
  std::vector<turn> turns{user_turn("a"), assistant_turn("ok"), user_turn("now")};
  for (int i = 0; i < 60; ++i)
    turns[0].images.push_back(png(10, 10));
  for (int i = 0; i < 50; ++i)
    turns[2].images.push_back(png(10, 10));
  CHECK_FALSE(fit_image_limits(turns));
  CHECK(turns[0].images.size() == 50);
  CHECK(turns[2].images.size() == 50);
  for (int i = 0; i < 51; ++i)
    turns[2].images.push_back(png(10, 10));
  auto error = fit_image_limits(turns);
  REQUIRE(error);
  CHECK(error->message == "the current message has 101 images; Kiro accepts at most 100 per request");
}
