#include "shared/reply/sse_writer.hpp"

#include "shared/common/json_text.hpp"

namespace kb::reply {

namespace {

std::string_view delta_type(delta_kind kind) {
  switch (kind) {
    case delta_kind::text: return R"("text_delta","text":)";
    case delta_kind::thinking: return R"("thinking_delta","thinking":)";
    case delta_kind::signature: return R"("signature_delta","signature":)";
    case delta_kind::input_json: return R"("input_json_delta","partial_json":)";
  }
  return R"("text_delta","text":)";
}

} // namespace

void append_usage(std::string& out, const usage_counts& usage) {
  out += R"({"input_tokens":)";
  out += std::to_string(usage.input_tokens);
  out += R"(,"output_tokens":)";
  out += std::to_string(usage.output_tokens);
  out += R"(,"cache_creation_input_tokens":)";
  out += std::to_string(usage.cache_creation_input_tokens);
  out += R"(,"cache_read_input_tokens":)";
  out += std::to_string(usage.cache_read_input_tokens);
  out += '}';
}

void sse_writer::begin_event(std::string_view type) {
  out_ += "event: ";
  out_ += type;
  out_ += "\ndata: {\"type\":\"";
  out_ += type;
  out_ += '"';
}

void sse_writer::end_event() { out_ += "}\n\n"; }

void sse_writer::message_start(std::string_view id, std::string_view model,
                               const usage_counts& usage) {
  begin_event("message_start");
  out_ += R"(,"message":{"id":)";
  append_json_string(out_, id);
  out_ += R"(,"type":"message","role":"assistant","model":)";
  append_json_string(out_, model);
  out_ += R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":)";
  usage_counts start = usage;
  start.output_tokens = 1;
  append_usage(out_, start);
  out_ += '}';
  end_event();
}

void sse_writer::block_start(size_t index, block_kind kind, std::string_view id,
                             std::string_view name) {
  begin_event("content_block_start");
  out_ += R"(,"index":)";
  out_ += std::to_string(index);
  out_ += R"(,"content_block":)";
  switch (kind) {
    case block_kind::text: out_ += R"({"type":"text","text":""})"; break;
    case block_kind::thinking: out_ += R"({"type":"thinking","thinking":""})"; break;
    case block_kind::redacted_thinking:
      out_ += R"({"type":"redacted_thinking","data":""})";
      break;
    case block_kind::tool_use:
      out_ += R"({"type":"tool_use","id":)";
      append_json_string(out_, id);
      out_ += R"(,"name":)";
      append_json_string(out_, name);
      out_ += R"(,"input":{}})";
      break;
  }
  end_event();
}

void sse_writer::delta(size_t index, delta_kind kind, std::string_view payload) {
  begin_event("content_block_delta");
  out_ += R"(,"index":)";
  out_ += std::to_string(index);
  out_ += R"(,"delta":{"type":)";
  out_ += delta_type(kind);
  append_json_string(out_, payload);
  out_ += '}';
  end_event();
}

void sse_writer::redacted_block(size_t index, std::string_view data) {
  begin_event("content_block_start");
  out_ += R"(,"index":)";
  out_ += std::to_string(index);
  out_ += R"(,"content_block":{"type":"redacted_thinking","data":)";
  append_json_string(out_, data);
  out_ += '}';
  end_event();
  block_stop(index);
}

void sse_writer::block_stop(size_t index) {
  begin_event("content_block_stop");
  out_ += R"(,"index":)";
  out_ += std::to_string(index);
  end_event();
}

void sse_writer::message_delta(const message_end& end) {
  begin_event("message_delta");
  out_ += R"(,"delta":{"stop_reason":)";
  append_json_string(out_, end.stop_reason);
  out_ += R"(,"stop_sequence":)";
  if (end.stop_sequence) append_json_string(out_, *end.stop_sequence);
  else out_ += "null";
  out_ += R"(},"usage":)";
  append_usage(out_, end.usage);
  end_event();
}

void sse_writer::message_stop() {
  begin_event("message_stop");
  end_event();
}

std::string sse_writer::take() {
  std::string bytes = std::move(out_);
  out_.clear();
  return bytes;
}

std::string sse_writer::ping() { return "event: ping\ndata: {\"type\": \"ping\"}\n\n"; }

} // namespace kb::reply
