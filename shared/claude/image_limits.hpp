#pragma once

// The image limits of the Claude API, which Kiro's backend (Claude models)
// enforces too, and the header reader that tells an image's size in pixels.
//
// Kiro's answers, as its users quote them:
// - "image exceeds 5 MB maximum: 10053760 bytes > 5242880 bytes", measured on
//   the base64 text (kirodotdev/Kiro #10783, #11497, #9707);
// - 8000 px per side, and "At least one of the image dimensions exceed max
//   allowed size for many-image requests: 2000 pixels" once a request holds
//   more than 20 images (kirodotdev/Kiro #11497, #8884, #9707);
// - "too many images and documents: 117 + 0 > 100" (kirodotdev/Kiro #8700,
//   #9629).
// An image kept in history is re-sent on every turn, so one over a limit
// blocks the conversation for good: the Kiro builder drops such history
// images, and only the current turn's images are refused (check_images).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/common/conversation.hpp"

namespace kb::claude {

inline constexpr size_t max_image_base64_bytes = 5 * 1024 * 1024;
inline constexpr uint32_t max_image_side = 8000;
inline constexpr uint32_t max_many_image_side = 2000;
/// A request with more images than this is a "many-image request".
inline constexpr size_t many_image_threshold = 20;
inline constexpr size_t max_images_per_request = 100;

struct pixel_size {
  uint32_t width = 0;
  uint32_t height = 0;
};

/// Width and height from the header of a PNG, JPEG, GIF or WebP file;
/// nullopt for anything else or a header that is cut short. Reads only the
/// bytes the header needs (JPEG: the segment lengths up to the frame header).
std::optional<pixel_size> image_size(std::string_view file_bytes);

/// The same for a file given as base64 (standard or URL-safe alphabet, line
/// breaks allowed), decoding only what the header needs.
std::optional<pixel_size> image_size_base64(std::string_view base64);

/// Why `img` cannot go to Kiro in a request of `images_in_request` images
/// ("image exceeds 5 MB maximum: N bytes > 5242880 bytes", ...); empty when
/// it can. An image whose header cannot be read is judged by its size only.
std::string image_limit_problem(const image& img, size_t images_in_request);

/// The same for an image whose pixel size is already known.
std::string image_limit_problem(size_t base64_bytes,
                                std::optional<pixel_size> size,
                                size_t images_in_request);

} // namespace kb::claude
