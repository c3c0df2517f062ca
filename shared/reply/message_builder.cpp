#include "shared/reply/message_builder.hpp"

#include "shared/common/json_text.hpp"
#include "shared/reply/sse_writer.hpp"

namespace kb::reply {

void message_builder::block_start(size_t index, block_kind kind, std::string_view id,
                                  std::string_view name) {
  if (index != blocks_.size()) return; // indexes are contiguous by construction
  blocks_.push_back(block{kind, {}, {}, std::string(id), std::string(name)});
}

void message_builder::delta(size_t index, delta_kind kind, std::string_view payload) {
  if (index >= blocks_.size()) return;
  auto& b = blocks_[index];
  if (kind == delta_kind::signature) b.signature.append(payload);
  else b.text.append(payload);
}

void message_builder::redacted_block(size_t index, std::string_view data) {
  if (index != blocks_.size()) return;
  blocks_.push_back(block{block_kind::redacted_thinking, std::string(data), {}, {}, {}});
}

void message_builder::block_stop(size_t) {}

void message_builder::message_delta(const message_end& end) {
  stop_reason_ = std::string(end.stop_reason);
  if (end.stop_sequence) stop_sequence_ = *end.stop_sequence;
  else stop_sequence_.reset();
  usage_ = end.usage;
}

void message_builder::message_stop() {}

std::string message_builder::json(std::string_view id, std::string_view model) const {
  std::string out = R"({"id":)";
  append_json_string(out, id);
  out += R"(,"type":"message","role":"assistant","model":)";
  append_json_string(out, model);
  out += R"(,"content":[)";
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const auto& b = blocks_[i];
    if (i > 0) out += ',';
    switch (b.kind) {
      case block_kind::text:
        out += R"({"type":"text","text":)";
        append_json_string(out, b.text);
        break;
      case block_kind::thinking:
        out += R"({"type":"thinking","thinking":)";
        append_json_string(out, b.text);
        out += R"(,"signature":)";
        append_json_string(out, b.signature);
        break;
      case block_kind::redacted_thinking:
        out += R"({"type":"redacted_thinking","data":)";
        append_json_string(out, b.text);
        break;
      case block_kind::tool_use:
        out += R"({"type":"tool_use","id":)";
        append_json_string(out, b.id);
        out += R"(,"name":)";
        append_json_string(out, b.name);
        out += R"(,"input":)";
        // The assembler only emits normalized JSON objects.
        out += b.text.empty() ? std::string_view("{}") : std::string_view(b.text);
        break;
    }
    out += '}';
  }
  out += R"(],"stop_reason":)";
  if (stop_reason_.empty()) out += "null";
  else append_json_string(out, stop_reason_);
  out += R"(,"stop_sequence":)";
  if (stop_sequence_) append_json_string(out, *stop_sequence_);
  else out += "null";
  out += R"(,"usage":)";
  append_usage(out, usage_);
  out += '}';
  return out;
}

} // namespace kb::reply
