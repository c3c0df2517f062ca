#include "shared/reply/assembler.hpp"

#include <algorithm>
#include <cmath>

#include "shared/reply/json_object.hpp"

namespace kb::reply {

namespace {

constexpr std::string_view content_length_exception = "ContentLengthExceededException";

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
  if (!options_.stream) return {};
  sse_.message_start(options_.message_id, options_.model, options_.input_tokens_estimate);
  return sse_.take();
}

std::string assembler::ping() const { return sse_writer::ping(); }

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
  }
  return sse_.take();
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
  if (options_.parse_thinking && !thinking_.passthrough()) {
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
  if (options_.parse_thinking && !thinking_.passthrough()) {
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
  complete_tool(tool);
}

void assembler::complete_tool(pending_tool& tool) {
  finished_tool_ids_.insert(tool.id);
  auto input = normalize_json_object(tool.input);
  if (!input || tool.name.empty()) {
    cut_after_last_tool_ = true;
    return;
  }
  flush_text();
  if (stop_.matched()) return; // held text completed a stop sequence
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

// ----------------------------------------------------------------- blocks

void assembler::open_block(block_kind kind, std::string_view id, std::string_view name) {
  close_block();
  sink().block_start(next_index_++, kind, id, name);
  open_kind_ = kind;
  switch (kind) {
    case block_kind::text: ++text_blocks_; break;
    case block_kind::thinking: ++thinking_blocks_; break;
    case block_kind::tool_use: ++tool_blocks_; break;
  }
}

void assembler::close_block() {
  if (!open_kind_) return;
  if (*open_kind_ == block_kind::thinking) {
    sink().delta(next_index_ - 1, delta_kind::signature, thinking_hash_.signature());
    thinking_hash_ = signature_hasher{};
  }
  sink().block_stop(next_index_ - 1);
  open_kind_.reset();
}

// ----------------------------------------------------------------- ending

std::string assembler::finish() {
  if (finished_) return {};
  finished_ = true;
  if (!stop_.matched()) flush_text();
  if (!pending_tools_.empty()) {
    if (!stop_.matched()) cut_after_last_tool_ = true;
    pending_tools_.clear();
  }
  if (thinking_blocks_ > 0 && text_blocks_ == 0 && tool_blocks_ == 0) {
    thinking_only_ = true;
    emit_text(" ");
  }
  if (next_index_ == 0) open_block(block_kind::text);
  close_block();
  stop_reason_ = decide_stop_reason();
  sink().message_delta(message_end{stop_reason_, stop_.matched(), input_tokens(), output_tokens()});
  sink().message_stop();
  return sse_.take();
}

std::string_view assembler::decide_stop_reason() const {
  if (stop_.matched()) return "stop_sequence";
  if (content_length_exceeded_ || cut_after_last_tool_ || thinking_only_) return "max_tokens";
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

int64_t assembler::input_tokens() const noexcept {
  if (!context_percentage_) return options_.input_tokens_estimate;
  return std::llround(*context_percentage_ * static_cast<double>(options_.context_window_tokens) /
                      100.0);
}

int64_t assembler::output_tokens() const {
  return std::max<int64_t>(1, text_tokens_.tokens() + thinking_tokens_.tokens() + tool_tokens_);
}

} // namespace kb::reply
