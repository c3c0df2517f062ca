#pragma once

// Kiro's image limits (shared/claude/image_limits.hpp) applied to the turns
// of one request. An image kept in history is re-sent on every turn, so an
// image over a limit there would make every later request fail (kirodotdev/
// Kiro #10783, #8884): such images become text placeholders instead. The
// current message's images are the client's question: one over a limit is
// an error, and history images give way to keep the current ones valid.

#include <optional>
#include <vector>

#include "shared/common/api_error.hpp"
#include "shared/common/conversation.hpp"

namespace kb::kiro {

/// `history_and_current`: the shaped turns, the current message last.
/// - the current message: more than 100 images, or one over the size, side
///   or (more than 20 images) many-image side limit, is an invalid_request
///   naming the limit; the turns are then left as they were;
/// - history images over the size or 8000 px limit are omitted;
/// - when the request would hold more than 20 images, history images over
///   2000 px are omitted, or, if a current image is over 2000 px, the oldest
///   history images until at most 20 remain;
/// - more than 100 images: the oldest history images are omitted.
/// An omitted image leaves "[image omitted: <type>: <why>]" in its turn's text.
std::optional<api_error> fit_image_limits(std::vector<turn>& history_and_current);

} // namespace kb::kiro
