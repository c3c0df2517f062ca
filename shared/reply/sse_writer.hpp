#pragma once

#include <string>
#include <string_view>

#include "shared/reply/claude_sink.hpp"

namespace kb::reply {

/// Serializes Claude operations as SSE events (`event: <type>\ndata:
/// <json>\n\n`) into a buffer the caller takes after each step.
class sse_writer final : public claude_sink {
public:
  /// `usage.output_tokens` is sent as 1, as Anthropic does.
  void message_start(std::string_view id, std::string_view model, const usage_counts& usage);
  void block_start(size_t index, block_kind kind, std::string_view id,
                   std::string_view name) override;
  void delta(size_t index, delta_kind kind, std::string_view payload) override;
  void redacted_block(size_t index, std::string_view data) override;
  void block_stop(size_t index) override;
  void message_delta(const message_end& end) override;
  void message_stop() override;

  /// The bytes written since the last call.
  std::string take();

  static std::string ping();

private:
  void begin_event(std::string_view type);
  void end_event();

  std::string out_;
};

/// `{"input_tokens":..,"output_tokens":..,"cache_creation_input_tokens":..,"cache_read_input_tokens":..}`
void append_usage(std::string& out, const usage_counts& usage);

} // namespace kb::reply
