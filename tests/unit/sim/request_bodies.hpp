#pragma once

// Builders of generateAssistantResponse bodies for the sim tests.

#include <string>

#include <boost/json.hpp>

namespace kb::sim::test {

inline boost::json::object user_message(std::string content) {
  return boost::json::object{{"content", std::move(content)},
                             {"modelId", "claude-sonnet-4.5"},
                             {"origin", "AI_EDITOR"}};
}

inline boost::json::object tool_spec(std::string name) {
  return boost::json::object{
      {"toolSpecification",
       boost::json::object{
           {"name", std::move(name)},
           {"description", "Reads a file"},
           {"inputSchema",
            boost::json::object{{"json", boost::json::object{{"type", "object"}}}}}}}};
}

/// A valid body: one finished tool round trip in history, tools declared,
/// the current message answering nothing.
inline boost::json::object valid_body() {
  boost::json::array history{
      boost::json::object{{"userInputMessage", user_message("read a.txt")}},
      boost::json::object{
          {"assistantResponseMessage",
           boost::json::object{
               {"content", "Reading it."},
               {"toolUses", boost::json::array{boost::json::object{
                                {"toolUseId", "tooluse_1"},
                                {"name", "Read"},
                                {"input", boost::json::object{{"path", "a.txt"}}}}}}}}},
      boost::json::object{
          {"userInputMessage",
           boost::json::object{
               {"content", "Tool results provided."},
               {"userInputMessageContext",
                boost::json::object{
                    {"toolResults",
                     boost::json::array{boost::json::object{
                         {"toolUseId", "tooluse_1"},
                         {"content", boost::json::array{boost::json::object{{"text", "hello"}}}},
                         {"status", "success"}}}}}}}}},
      boost::json::object{
          {"assistantResponseMessage", boost::json::object{{"content", "The file says hello."}}}},
  };
  auto current = user_message("thanks, now summarize");
  current["userInputMessageContext"] =
      boost::json::object{{"tools", boost::json::array{tool_spec("Read")}}};
  return boost::json::object{
      {"conversationState",
       boost::json::object{{"chatTriggerType", "MANUAL"},
                           {"conversationId", "7f0c6a38-3d39-4c55-9d1c-2b1c4ef0a001"},
                           {"currentMessage", boost::json::object{{"userInputMessage", current}}},
                           {"history", std::move(history)}}},
      {"profileArn", "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK"}};
}

inline boost::json::object& state_of(boost::json::object& body) {
  return body["conversationState"].as_object();
}

inline boost::json::object& current_of(boost::json::object& body) {
  return state_of(body)["currentMessage"].as_object()["userInputMessage"].as_object();
}

inline boost::json::array& history_of(boost::json::object& body) {
  return state_of(body)["history"].as_array();
}

inline std::string text(const boost::json::object& body) { return boost::json::serialize(body); }

} // namespace kb::sim::test
