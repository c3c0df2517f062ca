#include "services/http/http1_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "services/http/socket_stream.hpp"
#include "shared/common/ascii.hpp"

namespace kb {

namespace {

/// Without the spaces and tabs around it (HTTP's optional whitespace).
std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Whether the comma-separated header value lists `token` (any case).
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (equals_ci(trim_blanks(value.substr(0, comma)), token))
      return true;
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

constexpr std::array<bool, 256> token_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] = true;
  for (char c : std::string_view{"!#$%&'*+-.^_`|~"})
    t[static_cast<unsigned char>(c)] = true;
  return t;
}

constexpr auto tchar = token_table();

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

bool is_http_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return tchar[static_cast<unsigned char>(c)];
  });
}

bool is_field_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

std::string http1_reader::in_the(std::string_view what) const {
  std::string s{what};
  s.append(" in the ").append(noun_);
  return s;
}

bool http1_reader::read_failure(ssize_t received) {
  input_ended = true;
  std::string noun{noun_};
  if (received == 0)
    return fail(http1_fault::closed, "the connection closed mid-" + noun);
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    return fail(http1_fault::timed_out, "no " + noun + " within the read timeout");
  return fail(http1_fault::failed, "reading the " + noun + " failed");
}

bool http1_reader::fill() {
  auto n = in_.fill();
  return n > 0 || read_failure(n);
}

bool http1_reader::read_line(std::string_view& line) {
  auto trimmed = [&](std::string_view l) {
    if (!l.empty() && l.back() == '\r')
      l.remove_suffix(1);
    if (std::memchr(l.data(), '\r', l.size()) != nullptr)
      return fail(in_the("a bare CR"));
    line = l;
    return true;
  };
  auto buf = in_.buffered();
  if (auto nl = buf.find('\n'); nl != std::string_view::npos) {
    // The whole line is buffered: a view stays valid until the next fill,
    // which only comes after the buffer is used up.
    in_.consume(nl + 1);
    return trimmed(buf.substr(0, nl));
  }
  line_.clear();
  while (true) {
    buf = in_.buffered();
    if (buf.empty()) {
      if (!fill())
        return false;
      continue;
    }
    auto nl = buf.find('\n');
    auto take = nl == std::string_view::npos ? buf.size() : nl + 1;
    line_.append(buf.data(), take);
    in_.consume(take);
    if (nl != std::string_view::npos) {
      line_.pop_back();
      return trimmed(line_);
    }
    if (line_.size() > max_line_bytes)
      return fail(http1_fault::too_large,
                  "a line of the " + std::string{noun_} + " is longer than 64 KB");
  }
}

bool http1_reader::count_field(std::string_view line) {
  header_bytes_ += line.size() + 2;
  if (++field_count_ > max_fields)
    return fail(http1_fault::too_large,
                "the " + std::string{noun_} + " has more than 200 header lines");
  if (header_bytes_ > max_header_bytes)
    return fail(http1_fault::too_large,
                "the " + std::string{noun_} + "'s header block is over 64 KB");
  return true;
}

bool http1_reader::field_line(std::string_view l, std::string_view& name,
                              std::string_view& value) {
  if (l.front() == ' ' || l.front() == '\t')
    return fail(in_the("a folded header line (obs-fold)"));
  auto colon = l.find(':');
  if (colon == std::string_view::npos)
    return fail(in_the("a header line without a colon"));
  name = l.substr(0, colon);
  if (!is_http_token(name))
    return fail(name.find_first_of(" \t") != std::string_view::npos
                  ? in_the("whitespace in or after a header name")
                  : in_the("an invalid header name"));
  value = trim_blanks(l.substr(colon + 1));
  if (!is_field_value(value))
    return fail(in_the("a control character in a header value"));
  return true;
}

bool http1_reader::read_fields(int minor_version, const field_handler& on_field) {
  close_after = minor_version == 0;
  chunked_ = false;
  length_.reset();
  field_count_ = 0;
  header_bytes_ = 0;
  bool saw_close = false;
  bool saw_transfer_encoding = false;
  std::string_view l;
  while (true) {
    if (!read_line(l))
      return false;
    if (l.empty())
      break;
    if (!count_field(l))
      return false;
    std::string_view name;
    std::string_view value;
    if (!field_line(l, name, value))
      return false;
    if (equals_ci(name, "content-length")) {
      // 1*DIGIT only: no sign, no list ("5, 5"), nothing that overflows.
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (!all_digits(value) || ec != std::errc{} || end != value.data() + value.size())
        return fail(in_the("an invalid Content-Length"));
      if (length_ && *length_ != n)
        return fail(in_the("an invalid Content-Length")); // differing ones
      length_ = n;
    } else if (equals_ci(name, "transfer-encoding")) {
      // We decode no transfer coding but chunked, so anything else
      // (gzip, "chunked, chunked", a second field line) could only be
      // framed differently by someone else.
      if (saw_transfer_encoding)
        return fail(in_the("a repeated Transfer-Encoding"));
      saw_transfer_encoding = true;
      if (!equals_ci(value, "chunked"))
        return fail(in_the("a Transfer-Encoding other than chunked"));
      chunked_ = true;
    } else if (equals_ci(name, "connection")) {
      // close wins over keep-alive, whatever their order (RFC 9112 9.6).
      if (lists_token(value, "close"))
        saw_close = true;
      else if (lists_token(value, "keep-alive"))
        close_after = false;
    }
    on_field(name, value);
  }
  if (saw_close)
    close_after = true;
  if (chunked_ && length_)
    return fail(in_the("both Content-Length and Transfer-Encoding"));
  if (chunked_ && minor_version == 0)
    return fail(in_the("a Transfer-Encoding in HTTP/1.0"));
  return true;
}

http1_reader::framing http1_reader::body_framing(bool has_body, bool until_close) const {
  if (!has_body)
    return framing::none;
  if (chunked_)
    return framing::chunked;
  if (length_)
    return framing::length;
  return until_close ? framing::until_close : framing::none;
}

bool http1_reader::read_body(framing how, const body_handler& on_body, bool& aborted) {
  bool ok = false;
  switch (how) {
    case framing::none:
      return true;
    case framing::length:
      ok = pass(*length_, on_body, aborted);
      break;
    case framing::until_close:
      close_after = true;
      ok = pass_until_close(on_body, aborted);
      break;
    case framing::chunked:
      ok = pass_chunks(on_body, aborted);
      break;
  }
  if (aborted)
    fault = http1_fault::aborted;
  return ok;
}

bool http1_reader::pass(uint64_t left, const body_handler& on_body, bool& aborted) {
  while (left > 0) {
    auto buf = in_.buffered();
    if (buf.empty()) {
      if (!fill())
        return false;
      continue;
    }
    auto take = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (!on_body(buf.data(), take)) {
      aborted = true;
      return false;
    }
    in_.consume(take);
    left -= take;
  }
  return true;
}

bool http1_reader::pass_until_close(const body_handler& on_body, bool& aborted) {
  while (true) {
    auto buf = in_.buffered();
    if (buf.empty()) {
      auto n = in_.fill();
      if (n == 0)
        return true;
      if (n < 0)
        return read_failure(n);
      continue;
    }
    if (!on_body(buf.data(), buf.size())) {
      aborted = true;
      return false;
    }
    in_.consume(buf.size());
  }
}

bool http1_reader::pass_chunks(const body_handler& on_body, bool& aborted) {
  std::string_view l;
  while (true) {
    if (!read_line(l))
      return false;
    // chunk-size [ BWS ";" chunk-ext ]: extensions are ignored, but the
    // size is hex digits only, no sign, no prefix, nothing that overflows.
    auto semicolon = l.find(';');
    auto digits = l.substr(0, semicolon);
    if (semicolon != std::string_view::npos)
      while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t'))
        digits.remove_suffix(1);
    if (!is_field_value(l.substr(digits.size())))
      return fail(in_the("a control character in a chunk extension"));
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        !std::all_of(digits.begin(), digits.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
      return fail(in_the("an invalid chunk size"));
    if (size == 0) {
      // Trailer fields, up to the empty line: checked like header fields,
      // counted against the same limits, and dropped.
      field_count_ = 0;
      header_bytes_ = 0;
      while (true) {
        if (!read_line(l))
          return false;
        if (l.empty())
          return true;
        std::string_view name;
        std::string_view value;
        if (!count_field(l) || !field_line(l, name, value))
          return false;
      }
    }
    if (!pass(size, on_body, aborted))
      return false;
    if (!read_line(l))
      return false;
    if (!l.empty())
      return fail("a chunk of the " + std::string{noun_} + " is longer than its size");
  }
}

bool http1_response_reader::read_head(bool head_request) {
  for (int interim = 0;; ++interim) {
    int minor_version = 1;
    if (!read_status_line(minor_version) ||
        !message_.read_fields(minor_version, [](std::string_view, std::string_view) {}))
      return false;
    if (status >= 200)
      break;
    if (interim == 8)
      return message_.fail("more than 8 interim (1xx) answers");
  }
  framing_ = message_.body_framing(!head_request && status != 204 && status != 304, true);
  return true;
}

bool http1_response_reader::read_status_line(int& minor_version) {
  std::string_view l;
  if (!message_.read_line(l))
    return false;
  // "HTTP/1.1 200 OK": three digits, the reason phrase optional.
  if (l.size() < 12 || l.substr(0, 7) != "HTTP/1." || (l[7] != '0' && l[7] != '1') ||
      l[8] != ' ' || !std::all_of(l.data() + 9, l.data() + 12, [](char c) {
        return c >= '0' && c <= '9';
      }))
    return message_.fail("not an HTTP/1.x status line");
  std::from_chars(l.data() + 9, l.data() + 12, status);
  if (status < 100 || (l.size() > 12 && l[12] != ' ') || !is_field_value(l.substr(12)))
    return message_.fail("not an HTTP/1.x status line");
  minor_version = l[7] == '0' ? 0 : 1;
  return true;
}

} // namespace kb
