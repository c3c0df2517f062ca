#include "shared/reply/token_estimate.hpp"

#include <algorithm>

namespace kb::tokens {

namespace {

constexpr int64_t units_per_token = 6;
constexpr int64_t turn_framing_tokens = 4;
constexpr int64_t tool_framing_tokens = 4;
constexpr int64_t tool_preamble_tokens = 346;
constexpr int64_t reply_priming_tokens = 3;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool is_cjk(uint32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x9FFF) ||  // radicals, kana, CJK ideographs
         (cp >= 0xAC00 && cp <= 0xD7AF) ||  // hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) ||  // compatibility ideographs
         (cp >= 0xFF00 && cp <= 0xFFEF) ||  // full-width forms
         (cp >= 0x20000 && cp <= 0x3FFFF);  // ideograph extensions
}

int64_t code_point_units(uint32_t cp) {
  if (is_cjk(cp)) return 4;
  if (cp >= 0x10000) return 12;
  return 3;
}

} // namespace

void text_counter::feed(std::string_view utf8) {
  for (char ch : utf8) {
    auto c = static_cast<unsigned char>(ch);
    if (partial_missing_ > 0) {
      if ((c & 0xC0) == 0x80) {
        partial_cp_ = (partial_cp_ << 6) | (c & 0x3F);
        if (--partial_missing_ == 0) add_code_point(partial_cp_);
        continue;
      }
      // Truncated sequence: count what we had as one code point.
      partial_missing_ = 0;
      add_code_point(partial_cp_);
    }
    if (c < 0x80) {
      add_ascii(c);
    } else if ((c & 0xE0) == 0xC0) {
      partial_cp_ = c & 0x1F;
      partial_missing_ = 1;
    } else if ((c & 0xF0) == 0xE0) {
      partial_cp_ = c & 0x0F;
      partial_missing_ = 2;
    } else if ((c & 0xF8) == 0xF0) {
      partial_cp_ = c & 0x07;
      partial_missing_ = 3;
    } else {
      add_code_point(0xFFFD); // stray continuation or invalid lead byte
    }
  }
}

int64_t text_counter::tokens() const {
  int64_t units = units_ + run_units();
  if (partial_missing_ > 0) units += code_point_units(partial_cp_);
  return ceil_div(units, units_per_token);
}

void text_counter::add_ascii(unsigned char c) {
  run_kind kind;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) kind = run_kind::letters;
  else if (c >= '0' && c <= '9') kind = run_kind::digits;
  else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') kind = run_kind::spaces;
  else kind = run_kind::symbols;
  if (kind != run_) {
    close_run();
    run_ = kind;
    run_is_single_space_ = c == ' ';
  } else {
    run_is_single_space_ = false;
  }
  ++run_length_;
}

void text_counter::add_code_point(uint32_t cp) {
  close_run();
  units_ += code_point_units(cp);
}

int64_t text_counter::run_units() const {
  switch (run_) {
    case run_kind::none: return 0;
    case run_kind::letters: return units_per_token * ceil_div(run_length_, 7);
    case run_kind::digits: return units_per_token * ceil_div(run_length_, 3);
    case run_kind::spaces:
      return run_is_single_space_ ? 0 : units_per_token * ceil_div(run_length_, 8);
    case run_kind::symbols: return units_per_token * ceil_div(run_length_, 2);
  }
  return 0;
}

void text_counter::close_run() {
  units_ += run_units();
  run_ = run_kind::none;
  run_length_ = 0;
  run_is_single_space_ = false;
}

int64_t estimate_text(std::string_view utf8) {
  text_counter counter;
  counter.feed(utf8);
  return counter.tokens();
}

int64_t estimate_image(const image& img) {
  int64_t decoded_bytes = static_cast<int64_t>(img.data.size()) * 3 / 4;
  int64_t pixels = decoded_bytes * 4; // ~2 bits per pixel once compressed
  return std::clamp<int64_t>(pixels / 750, 64, 1600);
}

int64_t estimate_conversation(const conversation& conv) {
  int64_t total = estimate_text(conv.system) + reply_priming_tokens;
  for (const auto& t : conv.turns) {
    total += turn_framing_tokens + estimate_text(t.text) + estimate_text(t.thinking);
    for (const auto& img : t.images) total += estimate_image(img);
    for (const auto& call : t.tool_calls)
      total += tool_framing_tokens + estimate_text(call.name) + estimate_text(call.input_json);
    for (const auto& outcome : t.tool_outcomes) {
      total += tool_framing_tokens + estimate_text(outcome.text);
      for (const auto& img : outcome.images) total += estimate_image(img);
    }
  }
  if (!conv.tools.empty()) total += tool_preamble_tokens;
  for (const auto& tool : conv.tools)
    total += tool_framing_tokens + estimate_text(tool.name) +
             estimate_text(tool.description) + estimate_text(tool.input_schema_json);
  return total;
}

} // namespace kb::tokens
