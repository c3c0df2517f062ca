#pragma once

// The abstract Claude operations the assembler produces. Two sinks consume
// them: sse_writer (streaming) and message_builder (one JSON reply), so both
// modes share every decision the assembler makes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kb::reply {

enum class block_kind : uint8_t { text, thinking, redacted_thinking, tool_use };
enum class delta_kind : uint8_t { text, thinking, signature, input_json };

/// Claude's `usage` object.
struct usage_counts {
  int64_t input_tokens = 0; ///< not read from or written to the prompt cache
  int64_t output_tokens = 0;
  int64_t cache_creation_input_tokens = 0;
  int64_t cache_read_input_tokens = 0;
};

struct message_end {
  std::string_view stop_reason;
  const std::string* stop_sequence = nullptr; ///< null → JSON null
  usage_counts usage;
};

class claude_sink {
public:
  /// `id` and `name` are used by tool_use blocks only.
  virtual void block_start(size_t index, block_kind kind, std::string_view id,
                           std::string_view name) = 0;
  virtual void delta(size_t index, delta_kind kind, std::string_view payload) = 0;
  /// A whole `redacted_thinking` block (start and stop; it has no deltas).
  virtual void redacted_block(size_t index, std::string_view data) = 0;
  virtual void block_stop(size_t index) = 0;
  virtual void message_delta(const message_end& end) = 0;
  virtual void message_stop() = 0;

protected:
  ~claude_sink() = default;
};

} // namespace kb::reply
