#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/reply/claude_sink.hpp"

namespace kb::reply {

/// Accumulates Claude operations into the content of a non-streamed reply.
class message_builder final : public claude_sink {
public:
  struct block {
    block_kind kind = block_kind::text;
    std::string text;      ///< text, thinking, redacted data, or the tool input JSON
    std::string signature; ///< thinking blocks
    std::string id, name;  ///< tool_use blocks
  };

  void block_start(size_t index, block_kind kind, std::string_view id,
                   std::string_view name) override;
  void delta(size_t index, delta_kind kind, std::string_view payload) override;
  void redacted_block(size_t index, std::string_view data) override;
  void block_stop(size_t index) override;
  void message_delta(const message_end& end) override;
  void message_stop() override;

  const std::vector<block>& blocks() const noexcept { return blocks_; }

  /// `{id,type:"message",role,model,content,stop_reason,stop_sequence,usage}`.
  std::string json(std::string_view id, std::string_view model) const;

private:
  std::vector<block> blocks_;
  std::string stop_reason_;
  std::optional<std::string> stop_sequence_;
  usage_counts usage_;
};

} // namespace kb::reply
