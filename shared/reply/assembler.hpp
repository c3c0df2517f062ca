#pragma once

// Turns the neutral upstream events of one answer into a Claude reply: SSE
// bytes while streaming, or one JSON message. One state machine makes every
// decision (blocks, thinking, bracket calls, stop sequences, stop reason,
// usage) and emits abstract operations that a single sink serializes.
//
// Decisions worth knowing:
//   - Tool calls are buffered until `stop:true`, then emitted whole (one
//     input_json_delta with the normalized object), so a client never sees a
//     tool_use with broken or empty input.
//   - A cut tool call (the stream ended inside it, or its input is not a JSON
//     object) never becomes a tool_use: a text note in its place says which
//     tool was cut after how many bytes and how to retry in smaller parts
//     (Kiro cuts tool arguments at ~9 KB without a stop event: jwadow/
//     kiro-gateway's tool-call-size-guard spec). If no tool completed after
//     it, stop_reason is max_tokens; a call cut earlier and followed by
//     complete ones leaves tool_use. A call the stream ended in whose input is
//     already a whole JSON object is complete.
//   - Native reasoning (reasoningContentEvent) becomes thinking blocks with
//     Kiro's signature (redacted content: redacted_thinking blocks); once it
//     came, `<thinking>` tags in the text are text. It is dropped when the
//     request did not enable thinking.
//   - Kiro's tokenUsage replaces the estimates (input, output, cache read and
//     write); message_start goes out with the first output (or ping), so it
//     carries the real input when it came before, else the estimate.
//   - An upstream stopReason max_tokens gives max_tokens, content_filtered
//     (or guardrail_intervened) gives refusal.
//   - ContentLengthExceededException ends the answer with max_tokens; any
//     other upstream exception makes the answer broken: stopped() is true,
//     pending_exception() says which, and the caller calls fail().
//   - contextUsagePercentage ≥ 100 turns an end_turn into max_tokens
//     (model_context_window_exceeded is unknown to older SDKs).
//   - input_tokens: round(percentage × context window / 100) once a
//     contextUsage event came, else the caller's estimate.
//   - Output that is only thinking gets a " " text block and max_tokens.
//   - Stop sequences apply to the text, not to thinking; bracket calls are
//     extracted before stop sequences are looked for.
//   - output_tokens estimates the emitted text, thinking and tool calls
//     (name + input JSON) with kb::tokens, at least 1.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "shared/common/api_error.hpp"
#include "shared/common/stream_event.hpp"
#include "shared/reply/message_builder.hpp"
#include "shared/reply/reply_ids.hpp"
#include "shared/reply/sse_writer.hpp"
#include "shared/reply/text_filters.hpp"
#include "shared/reply/token_estimate.hpp"

namespace kb::reply {

struct assembler_options {
  std::string message_id;  ///< "msg_..." chosen by the caller
  std::string model;       ///< echoed in replies (the client's model id)
  bool stream = true;      ///< SSE bytes are produced only when true
  bool parse_thinking = false; ///< the request enabled thinking
  int64_t input_tokens_estimate = 0;
  int64_t context_window_tokens = 200000;
  std::vector<std::string> stop_sequences;
  /// The request's tool names; bracket calls are recognized only for these
  /// (for any name when empty).
  std::vector<std::string> tool_names;
};

/// An upstream exception that broke the answer mid-stream.
struct upstream_exception {
  std::string name;    ///< e.g. "ThrottlingException"
  std::string message;
};

class assembler final : private bracket_listener {
public:
  explicit assembler(assembler_options options);

  /// Starts the reply. SSE `message_start` is held until the first output
  /// so that it can carry Kiro's token counts when they come first; this
  /// returns "" (and always in JSON mode).
  std::string begin();
  /// SSE bytes to send now (may be empty; always empty in JSON mode).
  std::string on_event(const stream_event& event);
  /// Upstream ended cleanly (or the caller cancelled it after stopped()
  /// without a pending exception): flush held text, close blocks,
  /// message_delta, message_stop.
  std::string finish();
  /// Upstream broke mid-stream: nothing is closed. Streaming: an SSE
  /// `error` event; JSON mode: the error body.
  std::string fail(const api_error& err, std::string_view request_id);
  /// An SSE ping (after message_start, which it sends first if needed).
  std::string ping();

  /// No further content will be taken: a stop sequence matched or an
  /// exception ended the answer. The caller may cancel upstream, then calls
  /// fail() if pending_exception() is set, else finish().
  bool stopped() const noexcept { return stopped_; }
  const std::optional<upstream_exception>& pending_exception() const noexcept {
    return pending_exception_;
  }
  /// A content block was started (before this, failover is still possible).
  bool started_output() const noexcept { return next_index_ > 0; }

  /// The non-streamed reply (JSON mode, after finish()).
  std::string message_json() const;
  /// "" until finish().
  std::string_view stop_reason() const noexcept { return stop_reason_; }
  const std::string* stop_sequence() const noexcept { return stop_.matched(); }
  int64_t input_tokens() const noexcept;
  int64_t output_tokens() const;
  int64_t cache_read_tokens() const noexcept { return cache_read_; }
  int64_t cache_write_tokens() const noexcept { return cache_write_; }
  /// Kiro reported the token counts (else they are estimates).
  bool real_usage() const noexcept { return real_input_.has_value() || real_output_.has_value(); }
  /// Credits reported by metering events.
  double credits() const noexcept { return credits_; }
  /// Tool calls Kiro cut (answered with a note instead of a tool_use).
  size_t truncated_tool_calls() const noexcept { return truncated_tools_; }
  /// Citations and code references Kiro sent (not shown to the client).
  size_t citations() const noexcept { return citations_; }
  size_t code_references() const noexcept { return code_references_; }

private:
  struct pending_tool {
    std::string id;
    std::string name;
    std::string input;
  };

  claude_sink& sink() noexcept;
  void handle_text(std::string_view chunk);
  void handle_tool(const stream_event& event);
  void handle_exception(const stream_event& event);
  void handle_reasoning(const stream_event& event);
  void handle_usage(const stream_event& event);
  void handle_stop_reason(std::string_view reason);
  void note_cut_tool(const pending_tool& tool);
  void start_message();
  usage_counts usage() const;
  void feed_text(std::string_view text);
  void apply_split();
  void flush_text();
  void complete_tool(pending_tool& tool, bool stopped);
  void emit_text(std::string_view text);
  void emit_tool(std::string_view id, std::string_view name, std::string_view input_json);
  void open_block(block_kind kind, std::string_view id = {}, std::string_view name = {});
  void close_block();
  std::string_view decide_stop_reason() const;

  // bracket_listener
  void on_text(std::string_view text) override;
  void on_call(std::string_view name, std::string_view input_json) override;

  assembler_options options_;
  sse_writer sse_;
  message_builder builder_;

  std::string utf8_carry_;
  std::string joined_;
  thinking_splitter thinking_;
  thinking_splitter::output split_;
  bracket_extractor bracket_;
  stop_filter stop_;
  std::string stop_out_;

  bool begun_ = false;
  bool message_started_ = false;
  bool native_thinking_ = false;
  std::string native_signature_;

  size_t next_index_ = 0;
  std::optional<block_kind> open_kind_;
  signature_hasher thinking_hash_;
  size_t thinking_blocks_ = 0, text_blocks_ = 0, tool_blocks_ = 0;
  size_t derived_ids_ = 0;

  std::vector<pending_tool> pending_tools_;
  std::unordered_set<std::string> finished_tool_ids_;
  bool tool_completed_ = false;
  bool cut_after_last_tool_ = false;

  bool stopped_ = false;
  bool content_length_exceeded_ = false;
  bool upstream_max_tokens_ = false;
  bool refusal_ = false;
  bool thinking_only_ = false;
  bool finished_ = false;
  std::optional<upstream_exception> pending_exception_;
  std::optional<double> context_percentage_;
  double credits_ = 0;
  std::string_view stop_reason_;
  std::optional<int64_t> real_input_, real_output_;
  int64_t cache_read_ = 0, cache_write_ = 0;
  size_t truncated_tools_ = 0, citations_ = 0, code_references_ = 0;

  tokens::text_counter text_tokens_;
  tokens::text_counter thinking_tokens_;
  int64_t tool_tokens_ = 0;
};

} // namespace kb::reply
