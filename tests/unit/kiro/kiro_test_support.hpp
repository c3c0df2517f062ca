#pragma once

// Small builders for neutral conversations and parsed Kiro bodies.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "shared/common/conversation.hpp"
#include "shared/kiro/request_builder.hpp"

namespace kb::kiro::test {

inline boost::json::value json_of(std::string_view text) {
  return boost::json::parse(text);
}

inline turn user_turn(std::string text, std::vector<tool_outcome> outcomes = {}) {
  turn t;
  t.role = role::user;
  t.text = std::move(text);
  t.tool_outcomes = std::move(outcomes);
  return t;
}

inline turn assistant_turn(std::string text, std::vector<tool_call> calls = {}) {
  turn t;
  t.role = role::assistant;
  t.text = std::move(text);
  t.tool_calls = std::move(calls);
  return t;
}

inline tool_call call(std::string id, std::string name,
                      std::string input = "{}") {
  return tool_call{std::move(id), std::move(name), std::move(input)};
}

inline tool_outcome outcome(std::string id, std::string text,
                            bool is_error = false) {
  tool_outcome o;
  o.tool_use_id = std::move(id);
  o.text = std::move(text);
  o.is_error = is_error;
  return o;
}

inline tool_spec spec(std::string name, std::string description = "d",
                      std::string schema = R"({"type":"object","properties":{}})") {
  return tool_spec{std::move(name), std::move(description), std::move(schema)};
}

inline conversation make_conversation(std::vector<turn> turns) {
  conversation conv;
  conv.request_id = "req_1";
  conv.model = "claude-sonnet-4-5";
  conv.upstream_model = "m";
  conv.turns = std::move(turns);
  return conv;
}

inline build_options fixed_options() {
  build_options options;
  options.conversation_id = "c-1";
  return options;
}

/// The parsed body; fails the test when building fails.
inline boost::json::value body_of(const conversation& conv,
                                  const build_options& options = fixed_options()) {
  auto built = build_request(conv, options);
  REQUIRE_MESSAGE(built.ok(), (built.ok() ? "" : built.error().message));
  return boost::json::parse(built->body);
}

inline const boost::json::value& state_of(const boost::json::value& body) {
  return body.at("conversationState");
}

inline const boost::json::value& current_of(const boost::json::value& body) {
  return state_of(body).at("currentMessage").at("userInputMessage");
}

inline const boost::json::value& history_of(const boost::json::value& body) {
  return state_of(body).at("history");
}

} // namespace kb::kiro::test
