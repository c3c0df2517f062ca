#include "shared/claude/image_limits.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace kb::claude {

namespace {

// -- byte sources ------------------------------------------------------------
// A source copies `n` bytes at `offset` into `out` and says whether it had
// them all; the header readers never ask for more than a few bytes at once.

class raw_bytes {
public:
  explicit raw_bytes(std::string_view bytes) : bytes_(bytes) {}

  bool read(size_t offset, size_t n, unsigned char* out) const {
    if (offset > bytes_.size() || bytes_.size() - offset < n)
      return false;
    std::memcpy(out, bytes_.data() + offset, n);
    return true;
  }

private:
  std::string_view bytes_;
};

constexpr int8_t no_digit = -1;
constexpr int8_t padding_digit = -2;

constexpr auto base64_digits = [] {
  std::array<int8_t, 256> table{};
  table.fill(no_digit);
  for (int i = 0; i < 26; ++i) {
    table[static_cast<size_t>('A' + i)] = static_cast<int8_t>(i);
    table[static_cast<size_t>('a' + i)] = static_cast<int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i)
    table[static_cast<size_t>('0' + i)] = static_cast<int8_t>(52 + i);
  table['+'] = table['-'] = 62;
  table['/'] = table['_'] = 63;
  table['='] = padding_digit;
  return table;
}();

/// Random access to the bytes base64 text encodes: byte k lives in the
/// quad starting at character 4 * (k / 3), so a header read decodes a few
/// quads wherever they are instead of the whole image.
class base64_bytes {
public:
  explicit base64_bytes(std::string_view text) : text_(text) {
    if (std::memchr(text.data(), '\n', text.size()) ||
        std::memchr(text.data(), '\r', text.size())) {
      cleaned_.reserve(text.size());
      for (char c : text)
        if (c != '\n' && c != '\r')
          cleaned_.push_back(c);
      text_ = cleaned_;
    }
  }

  bool read(size_t offset, size_t n, unsigned char* out) const {
    size_t quad = offset / 3;
    size_t skip = offset % 3;
    while (n > 0) {
      unsigned char bytes[3];
      size_t got = decode_quad(quad++, bytes);
      if (got <= skip)
        return false;
      for (size_t i = skip; i < got && n > 0; ++i, --n)
        *out++ = bytes[i];
      if (n > 0 && got < 3)
        return false; // padding ends the data
      skip = 0;
    }
    return true;
  }

private:
  /// Decodes the quad at `index` into up to 3 bytes; 0 when it is missing
  /// or not base64.
  size_t decode_quad(size_t index, unsigned char* out) const {
    if (index >= text_.size() / 4 + 1)
      return 0;
    size_t begin = index * 4;
    if (begin >= text_.size())
      return 0;
    size_t available = std::min<size_t>(4, text_.size() - begin);
    int digits[4] = {0, 0, 0, 0};
    size_t count = 0;
    for (size_t i = 0; i < available; ++i) {
      int8_t d = base64_digits[static_cast<unsigned char>(text_[begin + i])];
      if (d == padding_digit)
        break;
      if (d == no_digit)
        return 0;
      digits[count++] = d;
    }
    if (count < 2)
      return 0;
    uint32_t v = (static_cast<uint32_t>(digits[0]) << 18) |
                 (static_cast<uint32_t>(digits[1]) << 12) |
                 (static_cast<uint32_t>(digits[2]) << 6) |
                 static_cast<uint32_t>(digits[3]);
    out[0] = static_cast<unsigned char>(v >> 16);
    out[1] = static_cast<unsigned char>(v >> 8);
    out[2] = static_cast<unsigned char>(v);
    return count - 1;
  }

  std::string_view text_;
  std::string cleaned_;
};

// -- header readers ----------------------------------------------------------

uint32_t be16(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t le16(const unsigned char* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t le24(const unsigned char* p) {
  return (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}
uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::optional<pixel_size> sized(uint32_t width, uint32_t height) {
  if (width == 0 || height == 0)
    return std::nullopt;
  return pixel_size{width, height};
}

template <class Source>
std::optional<pixel_size> png_size(const Source& src) {
  unsigned char h[24];
  if (!src.read(0, sizeof h, h) || std::memcmp(h + 12, "IHDR", 4) != 0)
    return std::nullopt;
  return sized(be32(h + 16), be32(h + 20));
}

template <class Source>
std::optional<pixel_size> gif_size(const Source& src) {
  unsigned char h[10];
  if (!src.read(0, sizeof h, h))
    return std::nullopt;
  return sized(le16(h + 6), le16(h + 8));
}

template <class Source>
std::optional<pixel_size> webp_size(const Source& src) {
  unsigned char h[30];
  if (!src.read(0, sizeof h, h) || std::memcmp(h + 8, "WEBP", 4) != 0)
    return std::nullopt;
  if (std::memcmp(h + 12, "VP8 ", 4) == 0) {
    if (h[23] != 0x9d || h[24] != 0x01 || h[25] != 0x2a)
      return std::nullopt;
    return sized(le16(h + 26) & 0x3FFF, le16(h + 28) & 0x3FFF);
  }
  if (std::memcmp(h + 12, "VP8L", 4) == 0) {
    if (h[20] != 0x2f)
      return std::nullopt;
    const unsigned char* b = h + 21;
    uint32_t width = 1 + (((uint32_t{b[1]} & 0x3F) << 8) | b[0]);
    uint32_t height = 1 + (((uint32_t{b[3]} & 0x0F) << 10) | (uint32_t{b[2]} << 2) |
                           ((uint32_t{b[1]} & 0xC0) >> 6));
    return sized(width, height);
  }
  if (std::memcmp(h + 12, "VP8X", 4) == 0)
    return sized(1 + le24(h + 24), 1 + le24(h + 27));
  return std::nullopt;
}

bool is_jpeg_frame_marker(unsigned char m) {
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/// Walks the segments after SOI to the first frame header (SOFn).
template <class Source>
std::optional<pixel_size> jpeg_size(const Source& src) {
  constexpr int max_segments = 4096;
  size_t pos = 2;
  for (int segment = 0; segment < max_segments; ++segment) {
    unsigned char b[2];
    if (!src.read(pos, 1, b) || b[0] != 0xFF)
      return std::nullopt;
    // Markers may be preceded by any number of 0xFF fill bytes.
    int fill = 0;
    do {
      ++pos;
      if (!src.read(pos, 1, b) || ++fill > 64)
        return std::nullopt;
    } while (b[0] == 0xFF);
    unsigned char marker = b[0];
    ++pos;
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
      continue; // no length field
    if (marker == 0xD9 || marker == 0xDA || marker == 0x00)
      return std::nullopt; // end of image or scan data before any frame
    if (!src.read(pos, 2, b))
      return std::nullopt;
    size_t length = be16(b);
    if (length < 2)
      return std::nullopt;
    if (is_jpeg_frame_marker(marker)) {
      unsigned char frame[5];
      if (length < 7 || !src.read(pos + 2, sizeof frame, frame))
        return std::nullopt;
      return sized(be16(frame + 3), be16(frame + 1));
    }
    pos += length;
  }
  return std::nullopt;
}

template <class Source>
std::optional<pixel_size> size_of(const Source& src) {
  unsigned char magic[8];
  if (!src.read(0, 4, magic))
    return std::nullopt;
  if (magic[0] == 0xFF && magic[1] == 0xD8)
    return jpeg_size(src);
  if (std::memcmp(magic, "GIF8", 4) == 0)
    return gif_size(src);
  if (std::memcmp(magic, "RIFF", 4) == 0)
    return webp_size(src);
  if (src.read(0, 8, magic) && std::memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0)
    return png_size(src);
  return std::nullopt;
}

std::string size_text(pixel_size s) {
  return std::to_string(s.width) + "x" + std::to_string(s.height);
}

} // namespace

std::optional<pixel_size> image_size(std::string_view file_bytes) {
  return size_of(raw_bytes(file_bytes));
}

std::optional<pixel_size> image_size_base64(std::string_view base64) {
  return size_of(base64_bytes(base64));
}

std::string image_limit_problem(size_t base64_bytes, std::optional<pixel_size> size,
                                size_t images_in_request) {
  if (base64_bytes > max_image_base64_bytes)
    return "image exceeds 5 MB maximum: " + std::to_string(base64_bytes) + " bytes > " +
           std::to_string(max_image_base64_bytes) + " bytes";
  if (!size)
    return {};
  uint32_t longest = std::max(size->width, size->height);
  if (longest > max_image_side)
    return "image dimensions exceed max allowed size: " + std::to_string(max_image_side) +
           " pixels (the image is " + size_text(*size) + ")";
  if (images_in_request > many_image_threshold && longest > max_many_image_side)
    return "At least one of the image dimensions exceed max allowed size for many-image "
           "requests: " +
           std::to_string(max_many_image_side) + " pixels (the image is " + size_text(*size) +
           ", the request has " + std::to_string(images_in_request) + " images)";
  return {};
}

std::string image_limit_problem(const image& img, size_t images_in_request) {
  return image_limit_problem(img.data.size(), image_size_base64(img.data), images_in_request);
}

} // namespace kb::claude
