#pragma once

// Local token estimates standing in for Claude's tokenizer (count_tokens,
// usage fallback, output tokens of a reply).
//
// Formula, in sixths of a token so every weight is an integer:
//   - ASCII letters: a run of L letters costs ceil(L/7) tokens (common words
//     are one token, long words split);
//   - ASCII digits: a run of L digits costs ceil(L/3) tokens;
//   - whitespace: a single space is free (BPE merges it into the next word);
//     any other run of L whitespace characters (newlines, indentation)
//     costs ceil(L/8) tokens;
//   - other ASCII (punctuation, symbols, control): a run of L costs ceil(L/2);
//   - CJK ideographs, kana, hangul and full-width forms: 2/3 token each
//     (1.5 characters per token);
//   - any other code point below U+10000: 1/2 token; above (emoji): 2 tokens.
// The total is rounded up. English prose comes out near 1.34 tokens per word
// (about 4.8 characters per token) and symbol-dense code near 3 characters
// per token, close to what Claude's tokenizer reports for such text.

#include <cstdint>
#include <string_view>

#include "shared/common/conversation.hpp"

namespace kb::tokens {

/// Incremental form of `estimate_text`: feeding a text in any number of
/// pieces (even splitting UTF-8 sequences) gives the same count as feeding
/// it whole.
class text_counter {
public:
  void feed(std::string_view utf8);
  int64_t tokens() const;

private:
  enum class run_kind : uint8_t { none, letters, digits, spaces, symbols };

  void add_ascii(unsigned char c);
  void add_code_point(uint32_t cp);
  void close_run();
  int64_t run_units() const;

  int64_t units_ = 0; ///< sixths of a token for closed runs and non-ASCII
  run_kind run_ = run_kind::none;
  int64_t run_length_ = 0;
  bool run_is_single_space_ = false;
  uint32_t partial_cp_ = 0;
  int partial_missing_ = 0; ///< continuation bytes still expected
};

/// Estimated Claude tokens of a UTF-8 text (0 for "").
int64_t estimate_text(std::string_view utf8);

/// Estimated tokens of an inline image: width×height/750 for Claude, with
/// the pixel count guessed from the compressed size (about 2 bits per pixel)
/// and clamped to [64, 1600] (1,600 ≈ Anthropic's resize limit of 1.15 MP).
int64_t estimate_image(const image& img);

/// Estimated prompt tokens: system text, every turn (4 tokens of framing
/// each, text, thinking, tool calls, tool outcomes, images), and with tools
/// the 346-token tool-use preamble plus every tool's name, description and
/// schema (4 tokens of framing each), plus 3 tokens priming the reply.
int64_t estimate_conversation(const conversation& conv);

} // namespace kb::tokens
