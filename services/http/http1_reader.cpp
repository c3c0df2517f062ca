#include "services/http/http1_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "services/http/socket_stream.hpp"
#include "shared/common/ascii.hpp"

namespace kb {

namespace {

constexpr size_t max_line = 64 * 1024;
constexpr size_t max_fields = 200;

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

} // namespace

std::string http1_reader::in_the(std::string_view what) const {
  std::string s{what};
  s.append(" in the ").append(noun_);
  return s;
}

std::string http1_reader::read_failure(ssize_t received) const {
  std::string noun{noun_};
  if (received == 0)
    return "the connection closed mid-" + noun;
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    return "no " + noun + " within the read timeout";
  return "reading the " + noun + " failed";
}

bool http1_reader::fill() {
  auto n = in_.fill();
  if (n > 0)
    return true;
  input_ended = true;
  return fail(read_failure(n));
}

bool http1_reader::read_line(std::string_view& line) {
  auto trimmed = [&](std::string_view l) {
    if (!l.empty() && l.back() == '\r')
      l.remove_suffix(1);
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
    if (line_.size() > max_line)
      return fail("a line of the " + std::string{noun_} + " is longer than 64 KB");
  }
}

bool http1_reader::read_fields(int minor_version, const field_handler& on_field) {
  close_after = minor_version == 0;
  chunked_ = false;
  length_.reset();
  std::string_view l;
  for (size_t count = 0;; ++count) {
    if (count > max_fields)
      return fail("the " + std::string{noun_} + " has more than 200 header lines");
    if (!read_line(l))
      return false;
    if (l.empty())
      return true;
    auto colon = l.find(':');
    if (colon == std::string_view::npos || colon == 0 || l.front() == ' ' ||
        l.front() == '\t')
      return fail(in_the("a malformed header line"));
    auto name = l.substr(0, colon);
    auto value = trim_blanks(l.substr(colon + 1));
    if (equals_ci(name, "content-length")) {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size() ||
          (length_ && *length_ != n))
        return fail(in_the("an invalid Content-Length"));
      length_ = n;
    } else if (equals_ci(name, "transfer-encoding")) {
      chunked_ = lists_token(value, "chunked");
    } else if (equals_ci(name, "connection")) {
      if (lists_token(value, "close"))
        close_after = true;
      else if (lists_token(value, "keep-alive"))
        close_after = false;
    }
    on_field(name, value);
  }
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
  switch (how) {
    case framing::none:
      return true;
    case framing::length:
      return pass(*length_, on_body, aborted);
    case framing::until_close:
      close_after = true;
      return pass_until_close(on_body, aborted);
    case framing::chunked:
      return pass_chunks(on_body, aborted);
  }
  return false;
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
        return fail(read_failure(n));
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
    l = trim_blanks(l.substr(0, l.find(';'))); // chunk extensions are ignored
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), size, 16);
    if (l.empty() || ec != std::errc{} || end != l.data() + l.size())
      return fail(in_the("an invalid chunk size"));
    if (size == 0) {
      do { // trailer fields, up to the empty line
        if (!read_line(l))
          return false;
      } while (!l.empty());
      return true;
    }
    if (!pass(size, on_body, aborted))
      return false;
    if (!read_line(l))
      return false;
    if (!l.empty())
      return fail("a chunk of the " + std::string{noun_} + " is longer than its size");
  }
}

} // namespace kb
