// Property test of the size shaping: for random conversations (text, tool
// rounds, images, long tool names) and random size limits, every body
// built is under the limit, keeps the current message, keeps every tool
// result paired with its tool use and passes kiro-sim's validator (the
// strict model of Kiro); a refusal happens only when nothing more could be
// dropped.

#include <cstdint>
#include <random>
#include <set>

#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
#include "services/sim/validation.hpp"
#include "tests/support/image_files.hpp"

using namespace kb;
using namespace kb::kiro;
using namespace kb::kiro::test;
namespace json = boost::json;

namespace {

const std::string long_tool_name =
    "mcp__a_very_long_server_name_used_for_tests__and_a_long_tool_name_abcd";

class sized_conversations {
public:
  explicit sized_conversations(uint32_t seed) : rng_(seed) {}

  conversation next() {
    conversation conv = make_conversation({});
    conv.upstream_model = "claude-sonnet-4.5"; // a model kiro-sim knows
    size_t rounds = pick(14);
    conv.turns.push_back(user(text()));
    for (size_t r = 0; r < rounds; ++r) {
      turn a = assistant_turn(text());
      size_t calls = pick(3);
      std::vector<std::string> ids;
      for (size_t c = 0; c < calls; ++c) {
        ids.push_back("tooluse_" + std::to_string(next_id_++));
        a.tool_calls.push_back(call(ids.back(), chance(4) ? long_tool_name : "Read",
                                    chance(2) ? "{\"path\":\"a.txt\"}" : "{}"));
      }
      conv.turns.push_back(std::move(a));
      turn u = user(chance(3) ? text() : "");
      for (const auto& id : ids)
        if (!chance(6)) // now and then a call stays unanswered
          u.tool_outcomes.push_back(outcome(id, text(), chance(5)));
      if (chance(8))
        u.tool_outcomes.push_back(outcome("stray_" + std::to_string(next_id_++), "orphan"));
      conv.turns.push_back(std::move(u));
    }
    if (chance(3))
      conv.turns.push_back(assistant_turn("prefill")); // current becomes "Continue"
    conv.tools = {spec("Read", "Reads"), spec(long_tool_name, "Long " + long_tool_name)};
    if (chance(2))
      conv.system = "System " + text();
    return conv;
  }

  size_t pick(size_t n) { return rng_() % n; }

private:
  bool chance(size_t one_in) { return pick(one_in) == 0; }

  std::string text() {
    static const size_t sizes[] = {0, 5, 200, 3000, 20000, 60000};
    return std::string(sizes[pick(6)], static_cast<char>('a' + pick(26)));
  }

  turn user(std::string t) {
    turn u = user_turn(std::move(t));
    if (chance(3)) {
      uint32_t side = chance(5) ? 9000 : static_cast<uint32_t>(100 + pick(3000));
      u.images.push_back(
          {"image/png", kb::test::base64_encode(kb::test::png_file(side, 100, pick(40000)))});
    }
    return u;
  }

  std::mt19937 rng_;
  size_t next_id_ = 0;
};

std::set<std::string> use_ids(const json::object& assistant) {
  std::set<std::string> ids;
  if (auto* uses = assistant.if_contains("toolUses"))
    for (const auto& u : uses->as_array())
      ids.emplace(u.at("toolUseId").as_string());
  return ids;
}

std::vector<std::string> result_ids(const json::object& user) {
  std::vector<std::string> ids;
  if (auto* ctx = user.if_contains("userInputMessageContext"))
    if (auto* results = ctx->as_object().if_contains("toolResults"))
      for (const auto& r : results->as_array())
        ids.emplace_back(r.at("toolUseId").as_string());
  return ids;
}

/// Every result answers a use of the assistant right before, every use is answered.
void check_pairing(const json::value& body) {
  const json::array empty;
  const auto& state = state_of(body).as_object();
  const json::array& history =
      state.contains("history") ? state.at("history").as_array() : empty;
  std::set<std::string> open;
  for (size_t i = 0; i < history.size(); ++i) {
    const auto& entry = history[i].as_object();
    if (auto* u = entry.if_contains("userInputMessage")) {
      auto results = result_ids(u->as_object());
      CHECK(std::set<std::string>(results.begin(), results.end()) == open);
      open.clear();
    } else {
      CHECK(open.empty());
      open = use_ids(entry.at("assistantResponseMessage").as_object());
    }
  }
  auto results = result_ids(current_of(body).as_object());
  CHECK(std::set<std::string>(results.begin(), results.end()) == open);
}

size_t history_images(const json::value& body) {
  size_t n = 0;
  const auto& state = state_of(body).as_object();
  if (auto* history = state.if_contains("history"))
    for (const auto& e : history->as_array())
      if (auto* u = e.as_object().if_contains("userInputMessage"))
        if (auto* images = u->as_object().if_contains("images"))
          n += images->as_array().size();
  return n;
}

} // namespace

TEST_CASE("300 random conversations under random size limits: shaped bodies fit and stay valid") {
  sized_conversations generator(4047768);
  size_t shaped = 0, refused = 0;
  for (int i = 0; i < 300; ++i) {
    conversation conv = generator.next();
    auto whole = build_request(conv, fixed_options());
    if (!whole.ok()) { // a 9000 px image in the current message
      CHECK(whole.error().message.starts_with("image 1 of the current message: "));
      continue;
    }
    auto options = fixed_options();
    options.agent_continuation_id = "9b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d";
    options.max_body_bytes = 16'384 + generator.pick(whole->body.size() + 1);
    CAPTURE(i);
    CAPTURE(options.max_body_bytes);
    CAPTURE(whole->body.size());
    auto built = build_request(conv, options);
    if (!built.ok()) {
      ++refused;
      // Refused only at the minimum: built with that much room, nothing
      // droppable is left (no history image, at most the pair the current
      // message answers besides the system pair).
      const std::string& message = built.error().message;
      CHECK(message.starts_with("prompt is too long: the translated request is "));
      size_t minimum = std::stoul(message.substr(message.find("request is ") + 11));
      CHECK(minimum > options.max_body_bytes);
      options.max_body_bytes = minimum;
      auto at_minimum = build_request(conv, options);
      REQUIRE(at_minimum.ok());
      CHECK(at_minimum->body.size() == minimum);
      auto body = json::parse(at_minimum->body);
      CHECK(history_images(body) == 0);
      const auto& state = state_of(body).as_object();
      size_t history = state.contains("history") ? state.at("history").as_array().size() : 0;
      CHECK(history <= 2 + (conv.system.empty() ? 0 : 2));
      continue;
    }
    shaped += built->body.size() < whole->body.size();
    CHECK(built->body.size() <= options.max_body_bytes);
    auto body = json::parse(built->body);
    CHECK(current_of(body).at("content") == current_of(json::parse(whole->body)).at("content"));
    check_pairing(body);
    kb::sim::validation_context ctx;
    ctx.max_body_bytes = options.max_body_bytes;
    ctx.max_input_tokens = INT64_MAX;
    auto verdict = kb::sim::validate_request(built->body, ctx);
    CHECK_MESSAGE(verdict.ok(), verdict.reason << ": " << verdict.detail);
  }
  // The generator must exercise both the shaping and the refusal.
  CHECK(shaped > 50);
  CHECK(refused > 5);
}
