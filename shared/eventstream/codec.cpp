#include "shared/eventstream/codec.hpp"

#include <algorithm>
#include <limits>

namespace kb::eventstream {

namespace {

// Slicing-by-8: eight derived tables let the loop fold 8 input bytes per step.
using crc_tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr crc_tables make_crc_tables() {
  crc_tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    t[0][i] = c;
  }
  for (size_t s = 1; s < 8; ++s)
    for (size_t i = 0; i < 256; ++i)
      t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

constexpr crc_tables tables = make_crc_tables();

inline uint32_t load_le32(const unsigned char* p) noexcept {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
         uint32_t{p[3]} << 24;
}

inline uint32_t load_be32(std::string_view s, size_t at) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data()) + at;
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
         uint32_t{p[3]};
}

inline uint64_t load_be(std::string_view s, size_t at, size_t width) noexcept {
  uint64_t v = 0;
  for (size_t k = 0; k < width; ++k)
    v = v << 8 | static_cast<unsigned char>(s[at + k]);
  return v;
}

void append_be(std::string& out, uint64_t value, size_t width) {
  for (size_t k = width; k-- > 0;)
    out.push_back(static_cast<char>((value >> (8 * k)) & 0xFF));
}

/// Bytes a value occupies on the wire after its type byte.
size_t value_wire_size(const header_value& value) noexcept {
  switch (type_of(value)) {
    case header_type::bool_true:
    case header_type::bool_false: return 0;
    case header_type::byte: return 1;
    case header_type::int16: return 2;
    case header_type::int32: return 4;
    case header_type::int64:
    case header_type::timestamp: return 8;
    case header_type::byte_array:
      return 2 + std::get<bytes_value>(value).data.size();
    case header_type::string: return 2 + std::get<std::string>(value).size();
    case header_type::uuid: return 16;
  }
  return 0;
}

size_t value_payload_size(const header_value& value) noexcept {
  if (auto* b = std::get_if<bytes_value>(&value)) return b->data.size();
  if (auto* s = std::get_if<std::string>(&value)) return s->size();
  return 0;
}

void append_value(std::string& out, const header_value& value) {
  out.push_back(static_cast<char>(type_of(value)));
  std::visit(
    [&out](const auto& v) {
      using T = std::decay_t<decltype(v)>;
      if constexpr (std::is_same_v<T, bool>) {
      } else if constexpr (std::is_same_v<T, int8_t>) {
        append_be(out, static_cast<uint8_t>(v), 1);
      } else if constexpr (std::is_same_v<T, int16_t>) {
        append_be(out, static_cast<uint16_t>(v), 2);
      } else if constexpr (std::is_same_v<T, int32_t>) {
        append_be(out, static_cast<uint32_t>(v), 4);
      } else if constexpr (std::is_same_v<T, int64_t>) {
        append_be(out, static_cast<uint64_t>(v), 8);
      } else if constexpr (std::is_same_v<T, bytes_value>) {
        append_be(out, v.data.size(), 2);
        out += v.data;
      } else if constexpr (std::is_same_v<T, std::string>) {
        append_be(out, v.size(), 2);
        out += v;
      } else if constexpr (std::is_same_v<T, timestamp_value>) {
        append_be(out, static_cast<uint64_t>(v.millis), 8);
      } else {
        out.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
      }
    },
    value);
}

size_t headers_wire_size(const message& msg) noexcept {
  size_t n = 0;
  for (const auto& h : msg.headers)
    n += 1 + h.name.size() + 1 + value_wire_size(h.value);
  return n;
}

/// Reads one header value of wire type `type` from `h` at `i`; false when
/// the type is unknown or the value runs past the end.
bool read_value(std::string_view h, size_t& i, uint8_t type, header_value& out) {
  auto need = [&](size_t n) { return h.size() - i >= n; };
  switch (static_cast<header_type>(type)) {
    case header_type::bool_true: out = true; return true;
    case header_type::bool_false: out = false; return true;
    case header_type::byte:
      if (!need(1)) return false;
      out = static_cast<int8_t>(load_be(h, i, 1));
      i += 1;
      return true;
    case header_type::int16:
      if (!need(2)) return false;
      out = static_cast<int16_t>(load_be(h, i, 2));
      i += 2;
      return true;
    case header_type::int32:
      if (!need(4)) return false;
      out = static_cast<int32_t>(load_be(h, i, 4));
      i += 4;
      return true;
    case header_type::int64:
      if (!need(8)) return false;
      out = static_cast<int64_t>(load_be(h, i, 8));
      i += 8;
      return true;
    case header_type::timestamp:
      if (!need(8)) return false;
      out = timestamp_value{static_cast<int64_t>(load_be(h, i, 8))};
      i += 8;
      return true;
    case header_type::byte_array:
    case header_type::string: {
      if (!need(2)) return false;
      auto len = static_cast<size_t>(load_be(h, i, 2));
      i += 2;
      if (!need(len)) return false;
      if (type == static_cast<uint8_t>(header_type::string))
        out = std::string(h.substr(i, len));
      else
        out = bytes_value{std::string(h.substr(i, len))};
      i += len;
      return true;
    }
    case header_type::uuid: {
      if (!need(16)) return false;
      uuid_value u;
      std::copy_n(reinterpret_cast<const uint8_t*>(h.data() + i), 16, u.bytes.begin());
      out = u;
      i += 16;
      return true;
    }
  }
  return false;
}

bool parse_headers(std::string_view h, std::vector<header>& out) {
  out.reserve(4); // Kiro sends three
  size_t i = 0;
  while (i < h.size()) {
    auto name_len = static_cast<size_t>(static_cast<unsigned char>(h[i++]));
    if (name_len == 0 || h.size() - i < name_len) return false;
    auto name = h.substr(i, name_len);
    i += name_len;
    if (i >= h.size()) return false;
    auto type = static_cast<uint8_t>(h[i++]);
    header_value value;
    if (!read_value(h, i, type, value)) return false;
    out.push_back(header{std::string(name), std::move(value)});
  }
  return true;
}

message kiro_frame(std::string_view kind_header, std::string_view kind,
                   std::string_view message_type, std::string_view payload) {
  message msg;
  msg.headers.reserve(3);
  msg.headers.push_back({std::string(kind_header), std::string(kind)});
  msg.headers.push_back({":content-type", std::string("application/json")});
  msg.headers.push_back({":message-type", std::string(message_type)});
  msg.payload = payload;
  return msg;
}

} // namespace

uint32_t crc32(std::string_view data, uint32_t crc) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  crc = ~crc;
  while (n >= 8) {
    uint32_t lo = load_le32(p) ^ crc;
    uint32_t hi = load_le32(p + 4);
    crc = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^
          tables[5][(lo >> 16) & 0xFF] ^ tables[4][lo >> 24] ^
          tables[3][hi & 0xFF] ^ tables[2][(hi >> 8) & 0xFF] ^
          tables[1][(hi >> 16) & 0xFF] ^ tables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0)
    crc = (crc >> 8) ^ tables[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

header_type type_of(const header_value& value) noexcept {
  switch (value.index()) {
    case 0: return std::get<bool>(value) ? header_type::bool_true : header_type::bool_false;
    case 1: return header_type::byte;
    case 2: return header_type::int16;
    case 3: return header_type::int32;
    case 4: return header_type::int64;
    case 5: return header_type::byte_array;
    case 6: return header_type::string;
    case 7: return header_type::timestamp;
    default: return header_type::uuid;
  }
}

const std::string* message::string_header(std::string_view name) const noexcept {
  for (const auto& h : headers)
    if (h.name == name) return std::get_if<std::string>(&h.value);
  return nullptr;
}

bool is_encodable(const message& msg) noexcept {
  for (const auto& h : msg.headers) {
    if (h.name.empty() || h.name.size() > max_header_name_bytes) return false;
    if (value_payload_size(h.value) > max_header_value_bytes) return false;
  }
  auto limit = std::numeric_limits<uint32_t>::max();
  size_t headers = headers_wire_size(msg);
  return headers <= limit && msg.payload.size() <= limit - min_frame_bytes - headers;
}

std::string encode(const message& msg) {
  if (!is_encodable(msg)) return {};
  size_t headers = headers_wire_size(msg);
  size_t total = min_frame_bytes + headers + msg.payload.size();
  std::string out;
  out.reserve(total);
  append_be(out, total, 4);
  append_be(out, headers, 4);
  uint32_t prelude_crc = crc32(out);
  append_be(out, prelude_crc, 4);
  for (const auto& h : msg.headers) {
    out.push_back(static_cast<char>(h.name.size()));
    out += h.name;
    append_value(out, h.value);
  }
  out += msg.payload;
  append_be(out, crc32(std::string_view(out).substr(8), prelude_crc), 4);
  return out;
}

std::string encode_event(std::string_view event_type, std::string_view json_payload) {
  return encode(kiro_frame(":event-type", event_type, "event", json_payload));
}

std::string encode_exception(std::string_view exception_type, std::string_view json_payload) {
  return encode(kiro_frame(":exception-type", exception_type, "exception", json_payload));
}

std::string_view to_string(decode_error err) noexcept {
  switch (err) {
    case decode_error::none: return "none";
    case decode_error::prelude_crc_mismatch: return "prelude CRC mismatch";
    case decode_error::impossible_lengths: return "impossible frame lengths";
    case decode_error::frame_too_large: return "frame larger than the limit";
    case decode_error::message_crc_mismatch: return "message CRC mismatch";
    case decode_error::malformed_headers: return "malformed headers";
  }
  return "unknown";
}

decoder::decoder(size_t max_message_bytes)
  : max_message_bytes_(std::max(max_message_bytes, min_frame_bytes)) {}

std::string_view decoder::pending() const noexcept {
  return std::string_view(buffer_).substr(offset_);
}

bool decoder::has_partial() const noexcept {
  return !failed_ && (offset_ < buffer_.size() || discard_remaining_ > 0);
}

decode_status decoder::feed(std::string_view bytes, std::vector<message>& out) {
  if (failed_) return decode_status::failed;
  auto errors_before = error_count_;
  while (!bytes.empty() && !failed_) {
    if (pending().empty()) {
      // Fast path: decode straight from the caller's bytes, keep only the tail.
      bytes.remove_prefix(drain(bytes, out));
      buffer_.assign(bytes.data(), bytes.size());
      offset_ = 0;
      break;
    }
    // A held partial frame: add just enough to complete it, so the rest of
    // the input can take the fast path again.
    size_t take = std::min(bytes_to_complete_front(), bytes.size());
    buffer_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    offset_ += drain(pending(), out);
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    } else if (offset_ >= 4096 && offset_ * 2 >= buffer_.size()) {
      buffer_.erase(0, offset_);
      offset_ = 0;
    }
  }
  if (failed_) {
    buffer_.clear();
    offset_ = 0;
    discard_remaining_ = 0;
    return decode_status::failed;
  }
  return error_count_ == errors_before ? decode_status::ok : decode_status::corrupt;
}

// After drain() the held bytes are either fewer than a prelude or an
// authentic prelude of a frame that is not complete yet.
size_t decoder::bytes_to_complete_front() const noexcept {
  auto front = pending();
  if (front.size() < prelude_bytes) return prelude_bytes - front.size();
  size_t total = load_be32(front, 0);
  return total > front.size() ? total - front.size() : 1;
}

void decoder::report(decode_error err) {
  bool resync = err == decode_error::prelude_crc_mismatch ||
                err == decode_error::impossible_lengths;
  if (resync && resyncing_) {
    if (++resync_scanned_ < max_message_bytes_) return;
    resync_scanned_ = 0;
  } else {
    resyncing_ = resync;
    resync_scanned_ = 0;
  }
  last_error_ = err;
  ++error_count_;
  if (++consecutive_errors_ >= max_consecutive_errors) failed_ = true;
}

size_t decoder::drain(std::string_view bytes, std::vector<message>& out) {
  size_t pos = 0;
  while (!failed_) {
    if (discard_remaining_ > 0) {
      auto k = static_cast<size_t>(std::min<uint64_t>(discard_remaining_, bytes.size() - pos));
      pos += k;
      discard_remaining_ -= k;
      bytes_skipped_ += k;
      if (discard_remaining_ > 0) break;
      continue;
    }
    if (bytes.size() - pos < prelude_bytes) break;
    auto frame = bytes.substr(pos);
    uint32_t total = load_be32(frame, 0);
    uint32_t headers_len = load_be32(frame, 4);
    uint32_t prelude_crc = crc32(frame.substr(0, 8));
    if (prelude_crc != load_be32(frame, 8) || total < min_frame_bytes ||
        headers_len > total - min_frame_bytes) {
      report(prelude_crc != load_be32(frame, 8) ? decode_error::prelude_crc_mismatch
                                                : decode_error::impossible_lengths);
      ++pos;
      ++bytes_skipped_;
      continue;
    }
    if (total > max_message_bytes_) {
      report(decode_error::frame_too_large);
      discard_remaining_ = total;
      continue;
    }
    if (frame.size() < total) break;
    // The prelude CRC is the running CRC of bytes [0, 8): continue from it.
    uint32_t message_crc = crc32(frame.substr(8, total - 12), prelude_crc);
    message msg;
    decode_error err = decode_error::none;
    if (message_crc != load_be32(frame, total - 4))
      err = decode_error::message_crc_mismatch;
    else if (!parse_headers(frame.substr(prelude_bytes, headers_len), msg.headers))
      err = decode_error::malformed_headers;
    pos += total;
    if (err != decode_error::none) {
      report(err);
      bytes_skipped_ += total;
      continue;
    }
    msg.payload.assign(frame.substr(prelude_bytes + headers_len,
                                    total - min_frame_bytes - headers_len));
    out.push_back(std::move(msg));
    ++messages_decoded_;
    consecutive_errors_ = 0;
    resyncing_ = false;
    resync_scanned_ = 0;
  }
  return pos;
}

} // namespace kb::eventstream
