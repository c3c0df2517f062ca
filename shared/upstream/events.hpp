#pragma once

// Kiro's event-stream frames → neutral stream events (kiro-protocol.md §4).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "shared/common/stream_event.hpp"
#include "shared/eventstream/codec.hpp"

namespace kb::upstream {

/// Appends the neutral events a frame carries (a reasoningContentEvent or a
/// metadataEvent may carry several) and returns how many; 0 for frames that
/// carry nothing for the client: unknown event types, follow-up prompts,
/// empty text, payloads that are not the expected JSON.
size_t to_stream_events(const eventstream::message& msg, std::vector<stream_event>& out);

/// The first event of to_stream_events, or nullopt.
std::optional<stream_event> to_stream_event(const eventstream::message& msg);

/// What a worker feeds every chunk read from Kiro's socket into.
class event_reader {
public:
  explicit event_reader(size_t max_message_bytes = 16 << 20) : decoder_(max_message_bytes) {}

  /// Appends the events completed by `bytes` to `out`.
  eventstream::decode_status feed(std::string_view bytes, std::vector<stream_event>& out);

  /// A stream that ends while this is true was cut mid-frame.
  bool has_partial() const noexcept { return decoder_.has_partial(); }
  const eventstream::decoder& decoder() const noexcept { return decoder_; }
  /// Frames decoded intact that produced no event.
  uint64_t skipped_frames() const noexcept { return skipped_frames_; }

private:
  eventstream::decoder decoder_;
  std::vector<eventstream::message> frames_;
  uint64_t skipped_frames_ = 0;
};

} // namespace kb::upstream
