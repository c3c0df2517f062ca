#pragma once

#include <string>
#include <string_view>

#include "shared/reply/claude_sink.hpp"

namespace kb::reply {

/// Serializes Claude operations as SSE events (`event: <type>\ndata:
/// <json>\n\n`) into a buffer the caller takes after each step.
class sse_writer final : public claude_sink {
public:
  void message_start(std::string_view id, std::string_view model, int64_t input_tokens);
  void block_start(size_t index, block_kind kind, std::string_view id,
                   std::string_view name) override;
  void delta(size_t index, delta_kind kind, std::string_view payload) override;
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

/// `{"input_tokens":..,"output_tokens":..,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}`
void append_usage(std::string& out, int64_t input_tokens, int64_t output_tokens);

} // namespace kb::reply
