// Kiro's body size limit: the default, and shaping the history to fit a
// smaller one.

#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
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

/// user "q<i>" / assistant calling Read / user with its result ... / current.
conversation tool_session(size_t rounds, size_t result_bytes, std::string current = "now what?") {
  std::vector<turn> turns;
  turns.push_back(user_turn("start"));
  for (size_t i = 0; i < rounds; ++i) {
    std::string id = "tooluse_" + std::to_string(i);
    turns.push_back(assistant_turn("reading " + std::to_string(i), {call(id, "Read")}));
    turns.push_back(user_turn("", {outcome(id, std::string(result_bytes, 'a' + i % 26))}));
  }
  turns.push_back(assistant_turn("done reading"));
  turns.push_back(user_turn(std::move(current)));
  auto conv = make_conversation(std::move(turns));
  conv.tools = {spec("Read")};
  return conv;
}

std::string text_of(const json::value& entry) {
  const auto& obj = entry.as_object();
  if (auto* u = obj.if_contains("userInputMessage"))
    return std::string(u->at("content").as_string());
  return std::string(obj.at("assistantResponseMessage").at("content").as_string());
}

} // namespace

TEST_CASE("the default limit is today's Kiro limit: a 2 MB conversation goes whole") {
  CHECK(build_options{}.max_body_bytes == 4'047'768);
  auto conv = tool_session(40, 50'000);
  auto built = build_request(conv, fixed_options());
  REQUIRE(built.ok());
  CHECK(built->body.size() > 2'000'000);
  auto history = history_of(json::parse(built->body)).as_array();
  CHECK(history.size() == 1 + 2 * 40 + 1); // nothing dropped
  CHECK(text_of(history.at(0)) == "start");
}

TEST_CASE("over the limit the oldest turns go in pairs and the current message stays") {
  auto conv = tool_session(40, 50'000, "the question");
  auto options = fixed_options();
  options.max_body_bytes = 1'000'000;
  auto built = build_request(conv, options);
  REQUIRE(built.ok());
  CHECK(built->body.size() <= 1'000'000);
  CHECK(built->body.size() > 900'000); // only what had to go went
  auto body = json::parse(built->body);
  CHECK(current_of(body).at("content") == json::value("the question"));
  const auto& history = history_of(body).as_array();
  // History still starts with a user turn, whose results answered a dropped
  // assistant turn: they went with it, and a note says why.
  const auto& first = history.at(0).at("userInputMessage").as_object();
  CHECK(first.at("content") == "[earlier messages omitted to fit Kiro's request size limit]");
  CHECK_FALSE(first.contains("userInputMessageContext"));
  CHECK(history.at(1).as_object().contains("assistantResponseMessage"));
  CHECK(text_of(history.back()) == "done reading");
}

TEST_CASE("old history images go before any turn, oldest first") {
  std::vector<turn> turns;
  for (int i = 0; i < 4; ++i) {
    turns.push_back(user_turn("shot " + std::to_string(i)));
    turns.back().images = {png(800, 600, 300'000)};
    turns.push_back(assistant_turn("seen " + std::to_string(i)));
  }
  turns.push_back(user_turn("compare them"));
  auto options = fixed_options();
  options.max_body_bytes = 900'000; // room for two of the four images
  auto built = build_request(make_conversation(turns), options);
  REQUIRE(built.ok());
  auto body = json::parse(built->body);
  const auto& history = history_of(body).as_array();
  REQUIRE(history.size() == 8);
  CHECK(text_of(history.at(0)) == "shot 0\n[image omitted: image/png]");
  CHECK(text_of(history.at(2)) == "shot 1\n[image omitted: image/png]");
  CHECK(history.at(4).at("userInputMessage").as_object().contains("images"));
  CHECK(history.at(6).at("userInputMessage").as_object().contains("images"));
}

TEST_CASE("the assistant turn the current tool results answer is never dropped") {
  std::vector<turn> turns{user_turn("read it"),
                          assistant_turn(std::string(50'000, 'x'), {call("t1", "Read")}),
                          user_turn("", {outcome("t1", "contents")})};
  auto conv = make_conversation(turns);
  conv.tools = {spec("Read")};
  auto options = fixed_options();
  options.max_body_bytes = 30'000;
  auto built = build_request(conv, options);
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().message.starts_with("prompt is too long: the translated request is "));
  CHECK(built.error().message.find("Kiro accepts at most 30000") != std::string::npos);
  options.max_body_bytes = 60'000;
  auto fits = build_request(conv, options);
  REQUIRE(fits.ok());
  auto body = json::parse(fits->body);
  CHECK(history_of(body).at(1).at("assistantResponseMessage").at("toolUses").at(0).at(
            "toolUseId") == "t1");
  CHECK(current_of(body).at("userInputMessageContext").at("toolResults").at(0).at(
            "toolUseId") == "t1");
}
