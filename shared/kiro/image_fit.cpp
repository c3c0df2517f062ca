#include "shared/kiro/image_fit.hpp"

#include <algorithm>
#include <string>

#include "shared/claude/image_limits.hpp"

namespace kb::kiro {

namespace {

using claude::pixel_size;

struct history_image {
  size_t turn = 0;
  size_t index = 0;
  size_t bytes = 0;
  std::optional<pixel_size> size;
  std::string omitted_because; ///< empty while kept
};

uint32_t longest_side(const std::optional<pixel_size>& size) {
  return size ? std::max(size->width, size->height) : 0;
}

std::string placeholder(std::string_view media_type, std::string_view why) {
  std::string text = "[image omitted: ";
  text.append(media_type);
  text += ": ";
  text.append(why);
  text += ']';
  return text;
}

void omit_marked(std::vector<turn>& turns, const std::vector<history_image>& images) {
  size_t i = 0;
  while (i < images.size()) {
    size_t turn_index = images[i].turn;
    turn& t = turns[turn_index];
    std::vector<image> kept;
    for (; i < images.size() && images[i].turn == turn_index; ++i) {
      image& img = t.images[images[i].index];
      if (images[i].omitted_because.empty()) {
        kept.push_back(std::move(img));
        continue;
      }
      if (!t.text.empty())
        t.text += '\n';
      t.text += placeholder(img.media_type, images[i].omitted_because);
    }
    t.images = std::move(kept);
  }
}

} // namespace

std::optional<api_error> fit_image_limits(std::vector<turn>& turns) {
  if (turns.empty())
    return std::nullopt;
  const turn& current = turns.back();
  const size_t current_count = current.images.size();
  if (current_count > claude::max_images_per_request)
    return invalid_request("the current message has " + std::to_string(current_count) +
                           " images; Kiro accepts at most " +
                           std::to_string(claude::max_images_per_request) + " per request");
  bool current_over_many_image_side = false;
  for (size_t i = 0; i < current_count; ++i) {
    const image& img = current.images[i];
    auto size = claude::image_size_base64(img.data);
    std::string why = claude::image_limit_problem(img.data.size(), size, current_count);
    if (!why.empty())
      return invalid_request("image " + std::to_string(i + 1) + " of the current message: " +
                             why);
    current_over_many_image_side |= longest_side(size) > claude::max_many_image_side;
  }

  std::vector<history_image> history;
  for (size_t t = 0; t + 1 < turns.size(); ++t)
    for (size_t i = 0; i < turns[t].images.size(); ++i) {
      const image& img = turns[t].images[i];
      history.push_back({t, i, img.data.size(), claude::image_size_base64(img.data), {}});
    }
  if (history.empty())
    return std::nullopt;

  size_t kept = 0;
  for (auto& h : history) {
    h.omitted_because = claude::image_limit_problem(h.bytes, h.size, 1);
    kept += h.omitted_because.empty();
  }
  auto total = [&] { return current_count + kept; };
  if (total() > claude::many_image_threshold) {
    for (auto& h : history) {
      if (!h.omitted_because.empty())
        continue;
      if (current_over_many_image_side) {
        if (total() <= claude::many_image_threshold)
          break;
        h.omitted_because = "the request would have more than " +
                            std::to_string(claude::many_image_threshold) +
                            " images with one over " +
                            std::to_string(claude::max_many_image_side) + " pixels";
        --kept;
      } else if (total() > claude::many_image_threshold &&
                 longest_side(h.size) > claude::max_many_image_side) {
        h.omitted_because = claude::image_limit_problem(h.bytes, h.size, total());
        --kept;
      }
    }
  }
  for (auto& h : history) {
    if (total() <= claude::max_images_per_request)
      break;
    if (!h.omitted_because.empty())
      continue;
    h.omitted_because = "too many images: Kiro accepts at most " +
                        std::to_string(claude::max_images_per_request) + " per request";
    --kept;
  }
  if (kept < history.size())
    omit_marked(turns, history);
  return std::nullopt;
}

} // namespace kb::kiro
