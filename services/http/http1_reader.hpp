#pragma once

// Reads HTTP/1.x messages in place from socket_stream's buffer: lines, the
// header block and the body (Content-Length, chunked with extensions and
// trailers, or until the peer closes). The one message parser of our client
// (answers) and our server (requests); each reads its own start line.
//
// Framing is strict (RFC 9112): whatever could make two parsers disagree on
// where a message ends is refused, never guessed at: Content-Length together
// with Transfer-Encoding, differing or malformed lengths, a transfer coding
// other than a single `chunked`, a repeated Transfer-Encoding, whitespace
// before the colon, obs-fold, bare CR, control characters, invalid name
// characters and chunk sizes that overflow. A refused message ends its
// connection.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kb {

class socket_stream;

/// Why reading a message stopped.
enum class http1_fault {
  none,
  malformed, ///< not valid HTTP/1.1 framing or syntax (400)
  too_large, ///< a header line or the header block over its limit (431)
  timed_out, ///< no input within the read timeout or the header deadline (408)
  closed,    ///< the peer closed mid-message
  failed,    ///< the socket failed
  aborted,   ///< the body handler said stop
};

class http1_reader {
public:
  using field_handler = std::function<void(std::string_view name, std::string_view value)>;
  using body_handler = std::function<bool(const char*, size_t)>;

  /// Limits of one header block (start line excluded, trailers alike).
  static constexpr size_t max_line_bytes = 64 * 1024;
  static constexpr size_t max_header_bytes = 64 * 1024;
  static constexpr size_t max_fields = 200;

  /// `noun` names the message in errors: "answer" or "request".
  http1_reader(socket_stream& in, std::string_view noun) : in_(in), noun_(noun) {
    // nop
  }

  /// What failed, after a false return, and why.
  std::string error;
  http1_fault fault = http1_fault::none;
  /// The connection ends after this message (HTTP/1.0 without keep-alive,
  /// `Connection: close` anywhere, a body read until the peer closes).
  bool close_after = false;
  /// Set by a receive that failed for lack of input (peer closed or timeout).
  bool input_ended = false;

  /// The next line without its line break (CRLF, or a lone LF as RFC 9112
  /// 2.2 allows); a CR anywhere else fails. Valid until the next read.
  bool read_line(std::string_view& line);

  /// Starts a message of HTTP/1.`minor_version` (0 closes unless told
  /// otherwise) and reads its header block up to the empty line. Framing
  /// and connection fields are noted and checked here; every field goes to
  /// `on_field`.
  bool read_fields(int minor_version, const field_handler& on_field);

  std::optional<uint64_t> content_length() const { return length_; }
  bool chunked() const { return chunked_; }

  /// How the body after the header block is framed. A message without
  /// length or chunking has no body when `until_close` is false (requests)
  /// and runs to the end of the connection when true (answers).
  enum class framing { none, length, chunked, until_close };
  framing body_framing(bool has_body, bool until_close) const;

  /// The body, piece by piece. `aborted` is set when `on_body` said stop.
  bool read_body(framing how, const body_handler& on_body, bool& aborted);

  bool fail(std::string why) { return fail(http1_fault::malformed, std::move(why)); }
  bool fail(http1_fault why_kind, std::string why) {
    fault = why_kind;
    error = std::move(why);
    return false;
  }

private:
  bool fill();
  bool read_failure(ssize_t received);
  bool pass(uint64_t left, const body_handler& on_body, bool& aborted);
  bool pass_until_close(const body_handler& on_body, bool& aborted);
  bool pass_chunks(const body_handler& on_body, bool& aborted);
  /// Splits and checks one field line of a header block or trailer section.
  bool field_line(std::string_view line, std::string_view& name, std::string_view& value);
  /// Counts a field line against the block's limits.
  bool count_field(std::string_view line);
  std::string in_the(std::string_view what) const;

  socket_stream& in_;
  std::string_view noun_;
  std::string line_;
  bool chunked_ = false;
  std::optional<uint64_t> length_;
  size_t field_count_ = 0;
  size_t header_bytes_ = 0;
};

/// Reads one answer from the stream, in place.
/// Reads one answer of an upstream (status line, header block, body) in
/// place; 1xx interim answers are skipped.
class http1_response_reader {
public:
  explicit http1_response_reader(socket_stream& in) : message_(in, "answer") {
    // nop
  }

  int status = 0;
  const std::string& error() const { return message_.error; }
  http1_fault fault() const { return message_.fault; }
  bool close_after() const { return message_.close_after; }
  http1_reader::framing framing() const { return framing_; }

  /// Status line and headers; `head_request`: the answer has no body.
  bool read_head(bool head_request);

  bool read_body(const http1_reader::body_handler& on_body, bool& aborted) {
    return message_.read_body(framing_, on_body, aborted);
  }

private:
  bool read_status_line(int& minor_version);

  http1_reader message_;
  http1_reader::framing framing_ = http1_reader::framing::none;
};

/// RFC 9110 5.6.2: whether `s` is a non-empty token (method, field name).
bool is_http_token(std::string_view s) noexcept;

/// RFC 9110 5.5: whether `s` may be a field value (no NUL, CR, LF or other
/// control characters but HTAB; obs-text allowed).
bool is_field_value(std::string_view s) noexcept;

} // namespace kb
