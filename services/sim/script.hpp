#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "shared/common/result.hpp"

namespace kb::sim {

/// Every scripted behaviour; each is real wire behaviour of Kiro.
enum class response_kind {
  text,
  tool,
  thinking,
  bracket,
  quota,
  throttle,
  invalid_bearer,
  suspended,
  access_denied, ///< 403 AccessDeniedException with `message` (an unrecognised refusal)
  server_error,
  input_too_long,
  exception,
  drop,
  slow,
  cut_tool,
  reasoning,     ///< reasoningContentEvent frames, then text
  invalid_state, ///< text chunks, then an invalidStateEvent
};

/// Kiro cuts a tool call's arguments after about this many bytes and sends
/// no stop event (jwadow/kiro-gateway docs/superpowers/specs/
/// 2026-05-13--tool-call-size-guard.md: "a hard ~9KB limit").
inline constexpr int64_t kiro_tool_input_limit_bytes = 9216;

/// SDK TokenUsage, as a metadataEvent carries it.
struct scripted_token_usage {
  int64_t uncached_input_tokens = 0;
  int64_t output_tokens = 0;
  std::optional<int64_t> cache_read_input_tokens;
  std::optional<int64_t> cache_write_input_tokens;
};

std::string_view to_string(response_kind k) noexcept;

/// One tool call a scripted answer makes.
struct scripted_tool {
  std::string name;
  std::string input_json = "{}"; ///< serialized input object
  int fragments = 0;              ///< 0 = a default split
};

struct response_spec {
  response_kind kind = response_kind::text;
  std::string text;     ///< text, leading text of tool/exception/drop answers
  std::string thinking; ///< kind thinking
  std::string then_text; ///< kind tool: text after the tool calls
  std::vector<scripted_tool> tools;
  int chunks = 0; ///< 0 = a default split
  int chunk_delay_ms = 0;
  int first_byte_delay_ms = 0;
  std::string exception_type = "ThrottlingException";
  std::string message;
  int after_chunks = 0;
  int64_t after_bytes = 0;
  // kind reasoning
  std::string signature;        ///< "" = a deterministic one
  std::string redacted_content; ///< base64; sent as its own event first
  // kind invalid_state
  std::string invalid_state_reason = "INVALID_TASK_ASSIST_PLAN";
  // Events any streamed answer may add, in Kiro's order after the content.
  int citations = 0;       ///< citationEvent frames
  int code_references = 0; ///< references in one codeReferenceEvent
  std::optional<scripted_token_usage> token_usage; ///< a metadataEvent
  std::string stop_reason; ///< a messageStopEvent {stopReason}
  bool metering = true;    ///< the meteringEvent
  std::optional<double> credits; ///< its usage (default: from the sizes)
  /// A tool call's arguments beyond this are cut and the stream ends there.
  int64_t tool_input_limit_bytes = kiro_tool_input_limit_bytes;
};

struct script_match {
  std::optional<std::string> account;
  std::optional<std::string> access_token;
  std::optional<std::string> content_contains;
  std::optional<bool> has_tool_results;
  std::optional<bool> has_tools;
};

struct script_entry {
  script_match match;
  int times = 1; ///< -1 = forever
  response_spec response;
};

/// What a request offers to script matching.
struct match_input {
  std::string_view account_id;
  std::string_view access_token;
  std::string_view content;
  bool has_tool_results = false;
  bool has_tools = false;
};

result<response_spec> parse_response(const boost::json::value& v);
result<script_entry> parse_script_entry(const boost::json::value& v);
/// One entry, an array of entries, or `{"entries":[...]}`.
result<std::vector<script_entry>> parse_script(std::string_view json_text);

bool matches(const script_match& m, const match_input& in);

/// Pending scripted behaviours, consumed first-match-first.
class script_book {
public:
  void append(std::vector<script_entry> entries);
  void clear() noexcept { entries_.clear(); }
  size_t size() const noexcept { return entries_.size(); }

  /// The response of the first matching entry with uses left (one use spent).
  std::optional<response_spec> take(const match_input& in);

private:
  std::deque<script_entry> entries_;
};

} // namespace kb::sim
