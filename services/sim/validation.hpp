#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/sim/accounts.hpp"

namespace kb::sim {

/// What Kiro decides about a generateAssistantResponse body.
enum class verdict {
  accepted,
  malformed,       ///< 400 Improperly formed request.
  invalid_model,   ///< 400 INVALID_MODEL_ID
  input_too_long,  ///< 400 CONTENT_LENGTH_EXCEEDS_THRESHOLD
  bearer_rejected, ///< 403 bearer invalid (Builder ID with a profileArn, a foreign ARN)
  profile_required, ///< 400 `profileArn is required for this request.`
};

std::string_view to_string(verdict v) noexcept;

/// Kiro's body limit (April 2026): 4,047,768 bytes pass, 4,048,790 fail.
inline constexpr size_t kiro_max_body_bytes = 4'047'768;

/// Facts about the account and the limits in force.
struct validation_context {
  /// Which profileArn the account must send: none (Builder ID), its own
  /// (enterprise), or either (social, whose ARN Kiro does not check).
  account_kind kind = account_kind::social;
  std::string profile_arn; ///< the account's own

  size_t max_body_bytes = kiro_max_body_bytes;
  int64_t max_input_tokens = 150'000;
};

/// What the simulator needs from an accepted (or partly parsed) request.
struct request_summary {
  std::string conversation_id;
  std::string model_id;
  std::string content;           ///< current user message text
  bool has_tools = false;
  bool has_tool_results = false; ///< on the current message
  std::string first_tool_result_text;
  std::vector<std::string> tool_names;
  size_t history_length = 0;
  bool has_profile_arn = false;
  std::string agent_continuation_id; ///< empty when the body has none
  size_t image_count = 0;            ///< history and current message
  int64_t estimated_input_tokens = 0;
};

struct validation_result {
  verdict outcome = verdict::accepted;
  /// Stable rule id (e.g. `history_not_alternating`); empty when accepted.
  std::string reason;
  /// Where and why, for humans reading recorded requests.
  std::string detail;
  /// Kiro's own message when it names the problem (image limits); empty
  /// when Kiro answers its generic text for the verdict.
  std::string kiro_message;
  request_summary summary;

  bool ok() const noexcept { return outcome == verdict::accepted; }
};

/// Kiro's hidden schema checks (kiro-protocol.md §3, landscape.md §2).
validation_result validate_request(std::string_view body, const validation_context& ctx);

/// Rough token estimate of a request body (4 bytes a token).
int64_t estimate_tokens(size_t body_bytes) noexcept;

/// Claude's cost of an image: width × height / 750 tokens (Anthropic's
/// vision docs).
int64_t image_tokens(size_t width, size_t height) noexcept;

/// Strict standard base64 (padding required, non-empty).
bool is_base64(std::string_view s) noexcept;

} // namespace kb::sim
