#pragma once

#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "shared/claude/messages_request.hpp"

namespace kb::claude::test {

/// A valid /v1/messages body with `extra` (",\"k\":v" pairs) appended.
inline std::string body_with(std::string_view extra,
                             std::string_view messages = R"([{"role":"user","content":"hi"}])") {
  std::string out = R"({"model":"claude-sonnet-4-5","max_tokens":1024,"messages":)";
  out += messages;
  out += extra;
  out += "}";
  return out;
}

/// A body whose only message is a user or assistant message with `content`.
inline std::string body_with_content(std::string_view role, std::string_view content) {
  std::string messages = R"([{"role":")";
  messages += role;
  messages += R"(","content":)";
  messages += content;
  messages += "}]";
  return body_with("", messages);
}

/// The error message of parsing `body`, or "ok" when it parses.
inline std::string messages_error(std::string_view body) {
  auto parsed = parse_messages_request(body);
  if (parsed) return "ok";
  CHECK(parsed.error().status() == 400);
  CHECK(parsed.error().type() == "invalid_request_error");
  return parsed.error().message;
}

inline std::string count_tokens_error(std::string_view body) {
  auto parsed = parse_count_tokens_request(body);
  if (parsed) return "ok";
  CHECK(parsed.error().status() == 400);
  return parsed.error().message;
}

} // namespace kb::claude::test
