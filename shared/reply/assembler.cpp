#include "shared/reply/assembler.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "shared/reply/json_object.hpp"

namespace kb::reply {

namespace {

constexpr std::string_view content_length_exception = "ContentLengthExceededException";

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// Kiro's stop reasons in the spellings peers have seen (Bedrock's
/// snake_case, camelCase, upper case).
bool same_reason(std::string_view got, std::string_view snake) {
  std::string folded;
  for (char c : got)
    if (c != '_') folded += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string want;
  for (char c : snake)
    if (c != '_') want += c;
  return folded == want;
}

/// What the client reads where a cut tool call would have been.
std::string cut_tool_note(std::string_view name, size_t bytes) {
  std::string note = "[The call of tool `";
  note += name.empty() ? std::string_view("(unnamed)") : name;
  note += "` was cut off by the upstream service after ";
  note += std::to_string(bytes);
  note += " bytes of arguments, so it was not made. Kiro ends tool-call arguments at about "
          "9 KB: send large content in parts of at most ~7 KB (for a file, write the first "
          "~150 lines, then add the rest with further edit calls).]";
  return note;
}

} // namespace

assembler::assembler(assembler_options options)
    : options_(std::move(options)),
      bracket_(options_.tool_names),
      stop_(options_.stop_sequences) {}

claude_sink& assembler::sink() noexcept {
  if (options_.stream) return sse_;
  return builder_;
}

std::string assembler::begin() {
  begun_ = true;
  return {};
}

void assembler::start_message() {
  if (message_started_ || !options_.stream) return;
  message_started_ = true;
  sse_.message_start(options_.message_id, options_.model, usage());
}

std::string assembler::ping() {
  if (begun_ && !finished_) start_message();
  return sse_.take() + sse_writer::ping();
}

std::string assembler::on_event(const stream_event& event) {
  if (finished_) return {};
  switch (event.kind) {
    case stream_event_kind::text:
      if (!stopped_) handle_text(event.text);
      break;
    case stream_event_kind::tool_use:
      if (!stopped_) handle_tool(event);
      break;
    case stream_event_kind::context_usage:
      // Clamped so that absurd values cannot overflow the token count.
      if (std::isfinite(event.value) && event.value >= 0)
        context_percentage_ = std::min(event.value, 1000.0);
      break;
    case stream_event_kind::metering:
      if (std::isfinite(event.value) && event.value > 0) credits_ += event.value;
      break;
    case stream_event_kind::exception:
      if (!stopped_) handle_exception(event);
      break;
    case stream_event_kind::reasoning:
    case stream_event_kind::reasoning_signature:
    case stream_event_kind::redacted_reasoning:
      if (!stopped_) handle_reasoning(event);
      break;
    case stream_event_kind::token_usage:
      handle_usage(event);
      break;
    case stream_event_kind::stop_reason:
      handle_stop_reason(event.text);
      break;
    case stream_event_kind::reference:
      if (event.name == "citation") citations_ += static_cast<size_t>(std::max(0.0, event.value));
      else code_references_ += static_cast<size_t>(std::max(0.0, event.value));
      break;
  }
  return sse_.take();
}

void assembler::handle_usage(const stream_event& event) {
  if (!std::isfinite(event.value) || event.value < 0) return;
  auto n = static_cast<int64_t>(std::min(event.value, 1e12));
  if (event.name == "input_tokens") real_input_ = n;
  else if (event.name == "output_tokens") real_output_ = n;
  else if (event.name == "cache_read_input_tokens") cache_read_ = n;
  else if (event.name == "cache_creation_input_tokens") cache_write_ = n;
}

void assembler::handle_stop_reason(std::string_view reason) {
  if (same_reason(reason, "max_tokens") || same_reason(reason, "length"))
    upstream_max_tokens_ = true;
  else if (same_reason(reason, "content_filtered") || same_reason(reason, "guardrail_intervened"))
    refusal_ = true;
}

void assembler::handle_reasoning(const stream_event& event) {
  // The client did not ask for thinking: Kiro's reasoning is not its answer.
  if (!options_.parse_thinking) {
    if (event.kind == stream_event_kind::reasoning) thinking_tokens_.feed(event.text);
    return;
  }
  if (event.kind == stream_event_kind::reasoning_signature) {
    native_signature_ = event.text;
    return;
  }
  if (open_kind_ != block_kind::thinking) {
    flush_text(); // text held so far goes before the thinking
    if (stop_.matched()) return;
  }
  native_thinking_ = true;
  if (event.kind == stream_event_kind::redacted_reasoning) {
    close_block();
    start_message();
    sink().redacted_block(next_index_++, event.text);
    ++thinking_blocks_;
    return;
  }
  if (open_kind_ != block_kind::thinking) open_block(block_kind::thinking);
  sink().delta(next_index_ - 1, delta_kind::thinking, event.text);
  thinking_hash_.feed(event.text);
  thinking_tokens_.feed(event.text);
}

void assembler::handle_exception(const stream_event& event) {
  stopped_ = true;
  if (event.name == content_length_exception) content_length_exceeded_ = true;
  else pending_exception_ = upstream_exception{event.name, event.text};
}

// ------------------------------------------------------------------- text

void assembler::handle_text(std::string_view chunk) {
  std::string_view text = chunk;
  if (!utf8_carry_.empty()) {
    joined_.assign(utf8_carry_);
    joined_.append(chunk);
    utf8_carry_.clear();
    text = joined_;
  }
  size_t complete = complete_utf8_prefix(text);
  utf8_carry_.assign(text.substr(complete));
  feed_text(text.substr(0, complete));
}

void assembler::feed_text(std::string_view text) {
  if (text.empty()) return;
  if (options_.parse_thinking && !native_thinking_ && !thinking_.passthrough()) {
    split_.clear();
    thinking_.feed(text, split_);
    apply_split();
  } else {
    bracket_.feed(text, *this);
  }
}

void assembler::apply_split() {
  if (split_.opened) open_block(block_kind::thinking);
  if (!split_.thinking.empty()) {
    if (open_kind_ != block_kind::thinking) open_block(block_kind::thinking);
    sink().delta(next_index_ - 1, delta_kind::thinking, split_.thinking);
    thinking_hash_.feed(split_.thinking);
    thinking_tokens_.feed(split_.thinking);
  }
  if (split_.closed && open_kind_ == block_kind::thinking) close_block();
  if (!split_.text.empty()) bracket_.feed(split_.text, *this);
}

// A boundary (a tool call or the end): nothing more can complete what the
// text stages hold back, so release it all.
void assembler::flush_text() {
  if (!utf8_carry_.empty()) {
    std::string rest = std::move(utf8_carry_);
    utf8_carry_.clear();
    feed_text(rest);
  }
  if (options_.parse_thinking && !native_thinking_ && !thinking_.passthrough()) {
    split_.clear();
    thinking_.flush(split_);
    apply_split();
  }
  bracket_.flush(*this);
  if (stop_.enabled() && !stop_.matched()) {
    stop_out_.clear();
    stop_.flush(stop_out_);
    emit_text(stop_out_);
  }
}

void assembler::on_text(std::string_view text) {
  if (stop_.matched()) return;
  if (!stop_.enabled()) {
    emit_text(text);
    return;
  }
  stop_out_.clear();
  bool matched = stop_.feed(text, stop_out_);
  emit_text(stop_out_);
  if (matched) stopped_ = true;
}

void assembler::on_call(std::string_view name, std::string_view input_json) {
  if (stop_.matched()) return;
  if (stop_.enabled()) {
    stop_out_.clear();
    stop_.flush(stop_out_);
    emit_text(stop_out_);
  }
  emit_tool(derived_tool_id(options_.message_id, derived_ids_++), name, input_json);
}

void assembler::emit_text(std::string_view text) {
  if (text.empty()) return;
  if (open_kind_ != block_kind::text) open_block(block_kind::text);
  sink().delta(next_index_ - 1, delta_kind::text, text);
  text_tokens_.feed(text);
}

// ------------------------------------------------------------------ tools

void assembler::handle_tool(const stream_event& event) {
  if (finished_tool_ids_.count(event.tool_use_id) > 0) return;
  auto it = std::find_if(pending_tools_.begin(), pending_tools_.end(),
                         [&](const pending_tool& t) { return t.id == event.tool_use_id; });
  if (it == pending_tools_.end()) {
    pending_tools_.push_back(pending_tool{event.tool_use_id, event.name, {}});
    it = pending_tools_.end() - 1;
  }
  if (it->name.empty()) it->name = event.name;
  it->input.append(event.text);
  if (!event.stop) return;
  pending_tool tool = std::move(*it);
  pending_tools_.erase(it);
  complete_tool(tool, true);
}

void assembler::complete_tool(pending_tool& tool, bool stopped) {
  finished_tool_ids_.insert(tool.id);
  // Without a stop, empty input is a call cut before its arguments.
  auto input = !stopped && is_blank(tool.input) ? std::nullopt : normalize_json_object(tool.input);
  flush_text();
  if (stop_.matched()) return; // held text completed a stop sequence
  if (!input || tool.name.empty()) {
    note_cut_tool(tool);
    return;
  }
  std::string id = tool.id.empty() ? derived_tool_id(options_.message_id, derived_ids_++)
                                   : std::move(tool.id);
  emit_tool(id, tool.name, *input);
}

void assembler::emit_tool(std::string_view id, std::string_view name,
                          std::string_view input_json) {
  open_block(block_kind::tool_use, id, name);
  sink().delta(next_index_ - 1, delta_kind::input_json, input_json);
  close_block();
  tool_tokens_ += tokens::estimate_text(name) + tokens::estimate_text(input_json);
  tool_completed_ = true;
  cut_after_last_tool_ = false;
}

void assembler::note_cut_tool(const pending_tool& tool) {
  ++truncated_tools_;
  cut_after_last_tool_ = true;
  std::string note = cut_tool_note(tool.name, tool.input.size());
  if (open_kind_ == block_kind::text) note.insert(0, "\n\n");
  emit_text(note);
}

// ----------------------------------------------------------------- blocks

void assembler::open_block(block_kind kind, std::string_view id, std::string_view name) {
  close_block();
  start_message();
  sink().block_start(next_index_++, kind, id, name);
  open_kind_ = kind;
  switch (kind) {
    case block_kind::text: ++text_blocks_; break;
    case block_kind::thinking:
    case block_kind::redacted_thinking: ++thinking_blocks_; break;
    case block_kind::tool_use: ++tool_blocks_; break;
  }
}

void assembler::close_block() {
  if (!open_kind_) return;
  if (*open_kind_ == block_kind::thinking) {
    // Kiro's own signature when it sent one; else ours over the text.
    sink().delta(next_index_ - 1, delta_kind::signature,
                 native_signature_.empty() ? thinking_hash_.signature() : native_signature_);
    thinking_hash_ = signature_hasher{};
    native_signature_.clear();
  }
  sink().block_stop(next_index_ - 1);
  open_kind_.reset();
}

// ----------------------------------------------------------------- ending

std::string assembler::finish() {
  if (finished_) return {};
  finished_ = true;
  if (!stop_.matched()) flush_text();
  // Calls the stream ended in: complete when the input is already a whole
  // object, else cut (Kiro sends no stop event when it cuts).
  auto pending = std::move(pending_tools_);
  pending_tools_.clear();
  for (auto& tool : pending) {
    if (stop_.matched()) break;
    complete_tool(tool, false);
  }
  if (thinking_blocks_ > 0 && text_blocks_ == 0 && tool_blocks_ == 0) {
    thinking_only_ = true;
    emit_text(" ");
  }
  if (next_index_ == 0) open_block(block_kind::text);
  close_block();
  stop_reason_ = decide_stop_reason();
  sink().message_delta(message_end{stop_reason_, stop_.matched(), usage()});
  sink().message_stop();
  return sse_.take();
}

std::string_view assembler::decide_stop_reason() const {
  if (stop_.matched()) return "stop_sequence";
  if (refusal_) return "refusal";
  if (content_length_exceeded_ || cut_after_last_tool_ || thinking_only_ || upstream_max_tokens_)
    return "max_tokens";
  if (tool_completed_) return "tool_use";
  if (context_percentage_ && *context_percentage_ >= 100) return "max_tokens";
  return "end_turn";
}

std::string assembler::fail(const api_error& err, std::string_view request_id) {
  finished_ = true;
  stopped_ = true;
  return options_.stream ? to_sse(err, request_id) : to_json(err, request_id);
}

std::string assembler::message_json() const {
  return builder_.json(options_.message_id, options_.model);
}

usage_counts assembler::usage() const {
  return usage_counts{input_tokens(), output_tokens(), cache_write_, cache_read_};
}

int64_t assembler::input_tokens() const noexcept {
  if (real_input_) return *real_input_;
  if (!context_percentage_) return options_.input_tokens_estimate;
  return std::llround(*context_percentage_ * static_cast<double>(options_.context_window_tokens) /
                      100.0);
}

int64_t assembler::output_tokens() const {
  if (real_output_) return *real_output_;
  return std::max<int64_t>(1, text_tokens_.tokens() + thinking_tokens_.tokens() + tool_tokens_);
}

} // namespace kb::reply
