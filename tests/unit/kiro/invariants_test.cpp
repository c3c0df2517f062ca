// Property-style check: whatever the conversation, the body satisfies the
// invariants Kiro's validator enforces.

#include <cstdint>
#include <random>
#include <set>

#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
#include "shared/kiro/tool_names.hpp"

using namespace kb;
using namespace kb::kiro;
using namespace kb::kiro::test;
namespace json = boost::json;

namespace {

const std::string long_tool_name =
    "mcp__a_very_long_server_name_used_for_tests__and_a_long_tool_name_abcd";

class conversation_generator {
public:
  explicit conversation_generator(uint32_t seed) : rng_(seed) {}

  conversation next() {
    conversation conv = make_conversation({});
    size_t turn_count = pick(12);
    for (size_t i = 0; i < turn_count; ++i)
      conv.turns.push_back(chance(2) ? random_user() : random_assistant());
    static const std::vector<std::string> tool_pool{"Read", "Bash", long_tool_name,
                                                    "Write"};
    for (const auto& name : tool_pool)
      if (chance(2))
        conv.tools.push_back(spec(name, chance(4) ? "" : "does " + name));
    conv.tool_choice = static_cast<tool_choice_mode>(pick(4));
    conv.tool_choice_name = "Read";
    if (chance(2))
      conv.system = "You are helpful.";
    conv.thinking.mode = static_cast<thinking_mode>(pick(3));
    return conv;
  }

private:
  size_t pick(size_t n) { return rng_() % n; }
  bool chance(size_t one_in) { return pick(one_in) == 0; }

  std::string random_text() {
    static const std::vector<std::string> texts{"", "", " ", "hello", "x\"y\n",
                                                "\xFF bad"};
    return texts[pick(texts.size())];
  }

  std::string random_id() { return "t" + std::to_string(pick(6)); }

  std::string random_tool_name() {
    static const std::vector<std::string> names{"Read", "read", "Bash", "Grep",
                                                long_tool_name};
    return names[pick(names.size())];
  }

  turn random_user() {
    turn t = user_turn(random_text());
    size_t outcomes = pick(4);
    for (size_t i = 0; i < outcomes; ++i) {
      t.tool_outcomes.push_back(outcome(random_id(), random_text(), chance(3)));
      if (chance(5))
        t.tool_outcomes.back().images.push_back({"image/png", "AAAA"});
    }
    if (chance(4))
      t.images.push_back({"image/jpeg", "BBBB"});
    return t;
  }

  turn random_assistant() {
    turn t = assistant_turn(random_text());
    if (chance(4))
      t.thinking = "pondering";
    size_t calls = pick(4);
    for (size_t i = 0; i < calls; ++i)
      t.tool_calls.push_back(call(random_id(), random_tool_name(),
                                  chance(3) ? "{\"a\":1}" : "{}"));
    return t;
  }

  std::mt19937 rng_;
};

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string_view str(const json::value& v) {
  return v.as_string();
}

std::set<std::string> tool_use_ids(const json::value& assistant) {
  std::set<std::string> ids;
  if (auto* uses = assistant.as_object().if_contains("toolUses"))
    for (const auto& use : uses->as_array())
      ids.emplace(str(use.at("toolUseId")));
  return ids;
}

std::vector<std::string> tool_result_ids(const json::value& user) {
  std::vector<std::string> ids;
  if (auto* ctx = user.as_object().if_contains("userInputMessageContext"))
    if (auto* results = ctx->as_object().if_contains("toolResults"))
      for (const auto& r : results->as_array()) {
        ids.emplace_back(str(r.at("toolUseId")));
        CHECK_FALSE(is_blank(str(r.at("content").at(0).at("text"))));
      }
  return ids;
}

void check_results_answer(const json::value& user, const json::value* assistant) {
  std::set<std::string> calls = assistant ? tool_use_ids(*assistant) : std::set<std::string>{};
  std::vector<std::string> results = tool_result_ids(user);
  std::set<std::string> unique(results.begin(), results.end());
  CHECK(unique.size() == results.size());
  for (const auto& id : results)
    CHECK_MESSAGE(calls.contains(id), "toolResult without toolUse: " << id);
  // Every toolUse is answered by the next user message.
  CHECK(unique == calls);
}

void check_invariants(const json::value& body) {
  const json::value& current = current_of(body);
  CHECK_FALSE(is_blank(str(current.at("content"))));
  std::vector<std::string> tool_names;
  if (auto* ctx = current.as_object().if_contains("userInputMessageContext"))
    if (auto* tools = ctx->as_object().if_contains("tools"))
      for (const auto& t : tools->as_array())
        tool_names.emplace_back(str(t.at("toolSpecification").at("name")));
  for (const auto& name : tool_names)
    CHECK(name.size() <= 64);

  const json::array empty;
  const json::array& history = state_of(body).as_object().contains("history")
                                   ? history_of(body).as_array()
                                   : empty;
  CHECK(history.size() % 2 == 0);
  for (size_t i = 0; i < history.size(); ++i) {
    const json::object& entry = history[i].as_object();
    REQUIRE(entry.size() == 1);
    bool expect_user = i % 2 == 0;
    if (expect_user) {
      const json::value& user = entry.at("userInputMessage");
      CHECK_FALSE(is_blank(str(user.at("content"))));
      if (auto* ctx = user.as_object().if_contains("userInputMessageContext"))
        CHECK_FALSE(ctx->as_object().contains("tools"));
      check_results_answer(user, i > 0 ? &history[i - 1].at("assistantResponseMessage")
                                       : nullptr);
    } else {
      const json::value& assistant = entry.at("assistantResponseMessage");
      CHECK_FALSE(is_blank(str(assistant.at("content"))));
      if (auto* uses = assistant.as_object().if_contains("toolUses"))
        for (const auto& use : uses->as_array()) {
          std::string_view name = str(use.at("name"));
          CHECK(name.size() <= 64);
          bool listed = false;
          for (const auto& t : tool_names)
            listed = listed || same_tool_name(t, name);
          CHECK_MESSAGE(listed, "history tool not in tools: " << name);
          CHECK(use.at("input").is_object());
        }
    }
  }
  check_results_answer(current, history.empty()
                                    ? nullptr
                                    : &history.back().at("assistantResponseMessage"));
}

} // namespace

TEST_CASE("200 random conversations all satisfy Kiro's invariants") {
  conversation_generator generator(20240611);
  size_t with_tool_results = 0;
  for (int i = 0; i < 200; ++i) {
    conversation conv = generator.next();
    CAPTURE(i);
    auto built = build_request(conv, fixed_options());
    REQUIRE(built.ok());
    json::value body = json::parse(built->body);
    check_invariants(body);
    if (built->body.find("toolResults") != std::string::npos)
      ++with_tool_results;
  }
  // The generator must actually exercise the pairing rules.
  CHECK(with_tool_results > 20);
}
