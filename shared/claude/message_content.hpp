#pragma once

// The `content` of one entry of `messages`: a string or an array of blocks.

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "shared/common/conversation.hpp"
#include "shared/common/result.hpp"

namespace kb::claude {

/// A user or assistant message's content as a turn. Blocks the gateway
/// cannot forward but that need no answer (server tool calls and results,
/// redacted thinking) are dropped; misplaced blocks (tool_use in a user
/// message, tool_result in an assistant message, ...) are errors.
result<turn> parse_turn_content(const boost::json::value& content, kb::role role,
                                std::string_view content_path);

/// The text of a `role:"system"` entry: a string or text blocks joined "\n\n".
result<std::string> parse_system_content(const boost::json::value& content,
                                         std::string_view content_path);

/// True for `""` and `[]`.
bool is_empty_content(const boost::json::value& content);

} // namespace kb::claude
