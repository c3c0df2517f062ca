#pragma once

// Claude Messages request bodies → the neutral conversation.
//
// Validation follows Anthropic's API: every violation is an
// invalid_request error naming the JSON path ("messages.2.role: ...").
// Unknown fields are ignored, as current Claude Code sends many
// (context_management, output_config, cache_control, defer_loading, ...).
// `request_id` and `upstream_model` are left empty for the gateway to fill.

#include <string_view>

#include "shared/common/conversation.hpp"
#include "shared/common/result.hpp"

namespace kb::claude {

/// Body of `POST /v1/messages`.
result<conversation> parse_messages_request(std::string_view body);

/// Body of `POST /v1/messages/count_tokens`: the same shape, but
/// `max_tokens` and `stream` are neither required nor read.
result<conversation> parse_count_tokens_request(std::string_view body);

} // namespace kb::claude
