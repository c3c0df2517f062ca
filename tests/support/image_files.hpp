#pragma once

// Image files with real headers (PNG, JPEG, GIF, WebP) of a chosen size, and
// a base64 encoder, for the tests of image limits. The pixel data after the
// header is filler: the limits read only the header.

#include <cstdint>
#include <string>
#include <string_view>

namespace kb::test {

inline std::string base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (size_t rest = bytes.size() - i) {
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2)
      v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace image_detail {

inline void put_be(std::string& out, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

inline void put_le(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

inline std::string filler(size_t n) {
  std::string out;
  out.reserve(n);
  uint32_t x = 0x9e3779b9;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out += static_cast<char>(x & 0xFF);
  }
  return out;
}

} // namespace image_detail

/// A PNG signature and IHDR chunk for `width` x `height`, then `extra`
/// filler bytes.
inline std::string png_file(uint32_t width, uint32_t height, size_t extra = 64) {
  using namespace image_detail;
  std::string out("\x89PNG\r\n\x1a\n", 8);
  put_be(out, 13, 4);
  out += "IHDR";
  put_be(out, width, 4);
  put_be(out, height, 4);
  out += std::string("\x08\x06\x00\x00\x00", 5);
  put_be(out, 0x12345678, 4); // CRC (not checked)
  return out + filler(extra);
}

/// A JPEG with an APP0 (JFIF) and an APP1 segment of `app1_bytes` before the
/// SOF0 frame header, as cameras write EXIF data before the frame.
inline std::string jpeg_file(uint32_t width, uint32_t height, size_t app1_bytes = 1000,
                             size_t extra = 64) {
  using namespace image_detail;
  std::string out("\xFF\xD8", 2);
  out += std::string("\xFF\xE0", 2);
  put_be(out, 16, 2);
  out += std::string("JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00", 14);
  while (app1_bytes > 0) {
    size_t chunk = app1_bytes > 65533 ? 65533 : app1_bytes;
    out += std::string("\xFF\xE1", 2);
    put_be(out, static_cast<uint32_t>(chunk + 2), 2);
    out += filler(chunk);
    app1_bytes -= chunk;
  }
  out += std::string("\xFF\xC0", 2);
  put_be(out, 17, 2);
  out += '\x08';
  put_be(out, height, 2);
  put_be(out, width, 2);
  out += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
  out += std::string("\xFF\xDA", 2);
  return out + filler(extra);
}

inline std::string gif_file(uint32_t width, uint32_t height, size_t extra = 64) {
  using namespace image_detail;
  std::string out = "GIF89a";
  put_le(out, width, 2);
  put_le(out, height, 2);
  return out + filler(extra);
}

/// A WebP of the given chunk kind: "VP8 " (lossy), "VP8L" (lossless) or
/// "VP8X" (extended).
inline std::string webp_file(std::string_view kind, uint32_t width, uint32_t height,
                             size_t extra = 64) {
  using namespace image_detail;
  std::string body;
  if (kind == "VP8 ") {
    body += std::string("\x30\x01\x00\x9d\x01\x2a", 6);
    put_le(body, width & 0x3FFF, 2);
    put_le(body, height & 0x3FFF, 2);
  } else if (kind == "VP8L") {
    body += '\x2f';
    uint32_t w = width - 1, h = height - 1;
    uint32_t bits = (w & 0x3FFF) | ((h & 0x3FFF) << 14);
    put_le(body, bits, 4);
  } else {
    body += std::string("\x10\x00\x00\x00", 4);
    put_le(body, width - 1, 3);
    put_le(body, height - 1, 3);
  }
  body += filler(extra);
  std::string chunk(kind);
  put_le(chunk, static_cast<uint32_t>(body.size()), 4);
  chunk += body;
  std::string out = "RIFF";
  put_le(out, static_cast<uint32_t>(chunk.size() + 4), 4);
  out += "WEBP";
  return out + chunk;
}

} // namespace kb::test
