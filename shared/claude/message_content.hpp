#pragma once

// The `content` of one entry of `messages`: a string or an array of blocks.

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "shared/common/conversation.hpp"
#include "shared/common/result.hpp"

namespace kb::claude {

/// Where an image block sits and its base64 text (a view into the parsed
/// document), for the limits on the current turn's images.
struct image_block_ref {
  std::string data_path; ///< "messages.2.content.0.source.data"
  std::string_view base64;
};

/// A user or assistant message's content as a turn. Blocks the gateway
/// cannot forward but that need no answer (server tool calls and results,
/// redacted thinking) are dropped; misplaced blocks (tool_use in a user
/// message, tool_result in an assistant message, ...) are errors. Every
/// image block (tool results' too) is appended to `images` when given.
result<turn> parse_turn_content(const boost::json::value& content, kb::role role,
                                std::string_view content_path,
                                std::vector<image_block_ref>* images = nullptr);

/// The text of a `role:"system"` entry: a string or text blocks joined "\n\n".
result<std::string> parse_system_content(const boost::json::value& content,
                                         std::string_view content_path);

/// True for `""` and `[]`.
bool is_empty_content(const boost::json::value& content);

} // namespace kb::claude
