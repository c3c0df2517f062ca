#pragma once

// The neutral conversation → the JSON body of Kiro's
// `POST /generateAssistantResponse` (kiro-protocol.md §3).
//
// Decisions (the peers disagree, see kiro-protocol.md §3):
// - The system text becomes a first history pair (user: system text,
//   assistant: "I will follow these instructions."), as kiro.rs/kiro2api
//   do, rather than a prefix of the first user message: it keeps the
//   user's own words untouched, works the same with or without history and
//   gives the tool documentation a stable home.
// - A trailing assistant turn (prefill) goes to history and the current
//   message becomes "Continue" (AIClient/jwadow); dropping it (kiro.rs)
//   would lose what the client asked the model to continue from.
// - Kiro has no tool_choice: `none` sends no client tools (placeholders for
//   history tools stay, Kiro requires them); `any`/`tool` append one
//   instruction line to the current message.
// - Image bytes are kept in the current message and the last
//   `max_history_images` history user messages; older images become
//   "[image omitted: <type>]" text. Images over Kiro's limits are handled by
//   fit_image_limits (image_fit.hpp).
// - A body over `max_body_bytes` is shaped to fit (fit_body_size): first the
//   history images go, oldest first, then the oldest history turns, two at a
//   time so history still starts with a user turn and alternates; the tool
//   results of a dropped assistant turn go with it, so every result stays
//   paired with its tool use. The current message and the assistant turn it
//   answers are never dropped; when even they do not fit, the request is
//   refused (invalid_request "prompt is too long: ...", the text Claude Code
//   reacts to by compacting).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/common/conversation.hpp"
#include "shared/common/result.hpp"

namespace kb::kiro {

/// The largest body Kiro accepts: a binary search in April 2026 found
/// 4,047,768 bytes pass and 4,048,790 fail with 400 "Input is too long." /
/// CONTENT_LENGTH_EXCEEDS_THRESHOLD (the limit was ~615 KB before, answered
/// "Improperly formed request.": jwadow/kiro-gateway #73). The default of the
/// `kiro.maxRequestBytes` setting.
inline constexpr size_t default_max_body_bytes = 4'047'768;

struct build_options {
  /// The Kiro conversationId; empty → `conversation_id_for(conversation)`.
  std::string conversation_id;
  /// `conversationState.agentContinuationId`, omitted when empty. kiro-cli
  /// and kiro.rs (converter.rs: `Uuid::new_v4()`) send a fresh UUID with
  /// every request; the caller makes it.
  std::string agent_continuation_id;
  /// Sent as top-level "profileArn" only when non-empty (social accounts,
  /// or every account on runtime.kiro.dev).
  std::string profile_arn;
  size_t max_body_bytes = default_max_body_bytes;
  size_t max_tool_description = 10000;
  size_t max_history_images = 5;
  /// Chunked-write guidance on file-writing tools (tool_catalog.hpp).
  bool chunked_write_guidance = true;
};

struct built_request {
  std::string body; ///< JSON
  /// Kiro tool name → client tool name, only for renamed tools.
  std::vector<std::pair<std::string, std::string>> tool_name_map;
};

result<built_request> build_request(const conversation& conv,
                                    const build_options& options);

/// A stable conversationId: the session id when it already is a UUID,
/// otherwise a UUID-shaped SHA-256 of the session id (or of the request id
/// when there is no session).
std::string conversation_id_for(const conversation& conv);

/// Kiro's image `format` for a media type ("image/png" → "png"); an error
/// for types Kiro cannot take.
result<std::string> image_format(std::string_view media_type);

/// The line appended to the current message for tool_choice any/tool;
/// empty for auto/none or when no client tool is sent.
std::string tool_choice_instruction(const conversation& conv);

} // namespace kb::kiro
