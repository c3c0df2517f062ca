#pragma once

// AWS event-stream (application/vnd.amazon.eventstream): the binary framing
// Kiro streams its answer in. Wire layout (all integers big-endian):
//
//   u32 total_length | u32 headers_length | u32 prelude_crc = CRC32(bytes[0..8))
//   headers | payload | u32 message_crc = CRC32(bytes[0..total_length-4))
//
// Pure code: no I/O, no clocks. See docs/kiro-protocol.md §4.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kb::eventstream {

/// zlib/IEEE CRC32 (reflected 0xEDB88320, init and xorout 0xFFFFFFFF).
/// Chainable: crc32(b, crc32(a)) == crc32(a + b).
uint32_t crc32(std::string_view data, uint32_t crc = 0) noexcept;

/// Wire type codes of header values.
enum class header_type : uint8_t {
  bool_true = 0,
  bool_false = 1,
  byte = 2,
  int16 = 3,
  int32 = 4,
  int64 = 5,
  byte_array = 6,
  string = 7,
  timestamp = 8,
  uuid = 9,
};

/// Type 6: raw bytes (u16 length).
struct bytes_value {
  std::string data;
  friend bool operator==(const bytes_value&, const bytes_value&) = default;
};

/// Type 8: milliseconds since the Unix epoch.
struct timestamp_value {
  int64_t millis = 0;
  friend bool operator==(const timestamp_value&, const timestamp_value&) = default;
};

/// Type 9: 16 raw bytes.
struct uuid_value {
  std::array<uint8_t, 16> bytes{};
  friend bool operator==(const uuid_value&, const uuid_value&) = default;
};

/// `bool` covers types 0 and 1; `std::string` is type 7 (UTF-8, u16 length).
using header_value = std::variant<bool, int8_t, int16_t, int32_t, int64_t,
                                  bytes_value, std::string, timestamp_value,
                                  uuid_value>;

header_type type_of(const header_value& value) noexcept;

struct header {
  std::string name;
  header_value value;
  friend bool operator==(const header&, const header&) = default;
};

struct message {
  std::vector<header> headers;
  std::string payload;

  /// The value of the first header called `name` if it is a string, else null.
  const std::string* string_header(std::string_view name) const noexcept;

  friend bool operator==(const message&, const message&) = default;
};

/// Limits of the format: a header name is 1..255 bytes, a string or byte
/// array value at most 65535 bytes, a whole frame below 4 GiB.
inline constexpr size_t max_header_name_bytes = 255;
inline constexpr size_t max_header_value_bytes = 65535;
inline constexpr size_t prelude_bytes = 12;
inline constexpr size_t min_frame_bytes = 16;

/// True when `msg` fits the format's limits (see above).
bool is_encodable(const message& msg) noexcept;

/// The exact wire bytes of `msg`, or an empty string (never a valid frame)
/// when `is_encodable(msg)` is false.
std::string encode(const message& msg);

/// A Kiro event frame: headers `:event-type`, `:content-type:
/// application/json`, `:message-type: event`, in that order.
std::string encode_event(std::string_view event_type, std::string_view json_payload);

/// A Kiro exception frame: `:exception-type`, `:content-type:
/// application/json`, `:message-type: exception`.
std::string encode_exception(std::string_view exception_type, std::string_view json_payload);

/// Why bytes were dropped.
enum class decode_error : uint8_t {
  none,
  prelude_crc_mismatch,  ///< resync: skip one byte and rescan
  impossible_lengths,    ///< total < 16 or headers longer than the frame; resync
  frame_too_large,       ///< authentic prelude, total above the cap: frame skipped
  message_crc_mismatch,  ///< frame skipped
  malformed_headers,     ///< frame skipped
};

std::string_view to_string(decode_error err) noexcept;

enum class decode_status : uint8_t {
  ok,      ///< no bytes were dropped during this feed
  corrupt, ///< some bytes were dropped during this feed; decoding goes on
  failed,  ///< terminal: too many consecutive errors; input is ignored
};

/// Incremental decoder: accepts the byte stream split anywhere.
///
/// Recovery: a bad prelude CRC or impossible lengths start a resync scan that
/// advances one byte at a time until a valid prelude appears. A scan counts as
/// one error, plus one more per `max_message_bytes` scanned without success
/// (no valid frame can be longer). A bad message CRC or malformed headers
/// skip the whole frame (its prelude is authentic). A frame above the cap is
/// skipped without being buffered. `max_consecutive_errors` errors with no
/// good message in between make the decoder fail for good.
class decoder {
public:
  static constexpr int max_consecutive_errors = 5;

  explicit decoder(size_t max_message_bytes = 16 << 20);

  /// Appends every message completed by `bytes` to `out`.
  decode_status feed(std::string_view bytes, std::vector<message>& out);

  /// Bytes of an incomplete message are held: a stream ending now was cut.
  bool has_partial() const noexcept;
  bool failed() const noexcept { return failed_; }

  decode_error last_error() const noexcept { return last_error_; }
  uint64_t error_count() const noexcept { return error_count_; }
  int consecutive_errors() const noexcept { return consecutive_errors_; }
  uint64_t messages_decoded() const noexcept { return messages_decoded_; }
  uint64_t bytes_skipped() const noexcept { return bytes_skipped_; }

private:
  size_t drain(std::string_view bytes, std::vector<message>& out);
  size_t bytes_to_complete_front() const noexcept;
  void report(decode_error err);
  void note_resync_byte();
  std::string_view pending() const noexcept;

  size_t max_message_bytes_;
  std::string buffer_;
  size_t offset_ = 0;
  uint64_t discard_remaining_ = 0;
  bool resyncing_ = false;
  size_t resync_scanned_ = 0;
  bool failed_ = false;
  decode_error last_error_ = decode_error::none;
  uint64_t error_count_ = 0;
  int consecutive_errors_ = 0;
  uint64_t messages_decoded_ = 0;
  uint64_t bytes_skipped_ = 0;
};

} // namespace kb::eventstream
