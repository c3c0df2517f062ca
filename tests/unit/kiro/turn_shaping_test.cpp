#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
#include "shared/kiro/turn_shaping.hpp"

using namespace kb;
using namespace kb::kiro;
using namespace kb::kiro::test;

namespace {

std::vector<role> roles_of(const std::vector<turn>& turns) {
  std::vector<role> roles;
  for (const auto& t : turns)
    roles.push_back(t.role);
  return roles;
}

std::vector<std::string> call_ids(const turn& t) {
  std::vector<std::string> ids;
  for (const auto& c : t.tool_calls)
    ids.push_back(c.id);
  return ids;
}

std::vector<std::string> outcome_ids(const turn& t) {
  std::vector<std::string> ids;
  for (const auto& o : t.tool_outcomes)
    ids.push_back(o.tool_use_id);
  return ids;
}

} // namespace

TEST_CASE("same-role runs merge text with newlines and concatenate calls") {
  auto merged = merge_same_role_turns(
      {user_turn("a"), user_turn(""), user_turn("b"),
       assistant_turn("x", {call("t1", "Read")}),
       assistant_turn("y", {call("t2", "Grep")})});
  REQUIRE(merged.size() == 2);
  CHECK(merged[0].text == "a\nb");
  CHECK(merged[1].text == "x\ny");
  CHECK(call_ids(merged[1]) == std::vector<std::string>{"t1", "t2"});
}

TEST_CASE("framing puts a user turn before a leading and after a trailing assistant") {
  std::vector<turn> turns{assistant_turn("hello")};
  frame_with_user_turns(turns);
  CHECK(roles_of(turns) ==
        std::vector<role>{role::user, role::assistant, role::user});
  CHECK(turns[0].text == "");
  CHECK(turns[2].text == "");
  std::vector<turn> none;
  frame_with_user_turns(none);
  CHECK(roles_of(none) == std::vector<role>{role::user});
}

TEST_CASE("pairing drops orphans into text and strips unanswered calls") {
  std::vector<turn> turns{
      user_turn("start", {outcome("ghost", "early")}),
      assistant_turn("", {call("t1", "Read"), call("t2", "Bash"),
                          call("t1", "Read")}),
      user_turn("go", {outcome("t1", "ok"), outcome("t1", "again"),
                       outcome("zzz", "stray", true)}),
  };
  pair_tool_calls(turns);
  CHECK(turns[0].tool_outcomes.empty());
  CHECK(turns[0].text == "[Tool result for call ghost]\nearly\n\nstart");
  CHECK(call_ids(turns[1]) == std::vector<std::string>{"t1"});
  CHECK(turns[1].text == "(tool Bash was called but no result was recorded)");
  CHECK(outcome_ids(turns[2]) == std::vector<std::string>{"t1"});
  CHECK(turns[2].tool_outcomes[0].text == "ok");
  CHECK(turns[2].text == "[Tool error for call zzz]\nstray\n\ngo");
}

TEST_CASE("tool result images are moved onto the user turn") {
  turn t = user_turn("", {outcome("t1", "shot")});
  t.images.push_back({"image/png", "AAA"});
  t.tool_outcomes[0].images.push_back({"image/gif", "BBB"});
  hoist_tool_result_images(t);
  REQUIRE(t.images.size() == 2);
  CHECK(t.images[1].media_type == "image/gif");
  CHECK(t.images[1].data == "BBB");
  CHECK(t.tool_outcomes[0].images.empty());
}

TEST_CASE("only the last N history user turns keep their images") {
  std::vector<turn> turns;
  for (int i = 0; i < 4; ++i) {
    turns.push_back(user_turn("u" + std::to_string(i)));
    turns.back().images.push_back({"image/png", "P"});
    turns.push_back(assistant_turn("a"));
  }
  turns.push_back(user_turn("now"));
  turns.back().images.push_back({"image/jpeg", "J"});
  omit_old_images(turns, 2);
  CHECK(turns[0].images.empty());
  CHECK(turns[0].text == "u0\n[image omitted: image/png]");
  CHECK(turns[2].images.empty());
  CHECK(turns[4].images.size() == 1);
  CHECK(turns[6].images.size() == 1);
  CHECK(turns[8].images.size() == 1);
  omit_old_images(turns, 0);
  CHECK(turns[6].images.empty());
  CHECK(turns[6].text == "u3\n[image omitted: image/png]");
  CHECK(turns[8].images.size() == 1);
}

TEST_CASE("contents are never empty") {
  CHECK(assistant_content(assistant_turn("")) == "(empty)");
  CHECK(assistant_content(assistant_turn(" \n")) == "(empty)");
  turn thinking = assistant_turn("answer");
  thinking.thinking = "hmm";
  CHECK(assistant_content(thinking) == "<thinking>hmm</thinking>\n\nanswer");
  CHECK(history_user_content(user_turn("")) == "(empty)");
  CHECK(history_user_content(user_turn("", {outcome("t", "x")})) ==
        "Tool results provided.");
  CHECK(current_user_content(user_turn("")) == "Continue");
  CHECK(current_user_content(user_turn("", {outcome("t", "x")})) ==
        "Tool results provided.");
  CHECK(tool_result_text(outcome("t", "")) == "(empty result)");
  CHECK(tool_result_text(outcome("t", "data")) == "data");
}
