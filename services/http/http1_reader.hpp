#pragma once

// Reads HTTP/1.x messages in place from socket_stream's buffer: lines, the
// header block and the body (Content-Length, chunked with extensions and
// trailers, or until the peer closes). The one message parser of our client
// (answers) and our server (requests); each reads its own start line.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kb {

class socket_stream;

class http1_reader {
public:
  using field_handler = std::function<void(std::string_view name, std::string_view value)>;
  using body_handler = std::function<bool(const char*, size_t)>;

  /// `noun` names the message in errors: "answer" or "request".
  http1_reader(socket_stream& in, std::string_view noun) : in_(in), noun_(noun) {
    // nop
  }

  /// What failed, after a false return.
  std::string error;
  /// The connection ends after this message (HTTP/1.0 without keep-alive,
  /// `Connection: close`, a body read until the peer closes).
  bool close_after = false;
  /// Set by a receive that failed for lack of input (peer closed or timeout).
  bool input_ended = false;

  /// The next line without its line break; valid until the next read.
  bool read_line(std::string_view& line);

  /// Starts a message of HTTP/1.`minor_version` (0 closes unless told
  /// otherwise) and reads its header block up to the empty line. Framing
  /// and connection fields are noted here; every field goes to `on_field`.
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

  bool fail(std::string why) {
    error = std::move(why);
    return false;
  }

private:
  bool fill();
  std::string read_failure(ssize_t received) const;
  bool pass(uint64_t left, const body_handler& on_body, bool& aborted);
  bool pass_until_close(const body_handler& on_body, bool& aborted);
  bool pass_chunks(const body_handler& on_body, bool& aborted);
  std::string in_the(std::string_view what) const;

  socket_stream& in_;
  std::string_view noun_;
  std::string line_;
  bool chunked_ = false;
  std::optional<uint64_t> length_;
};

} // namespace kb
