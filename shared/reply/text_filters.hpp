#pragma once

// The stages that the assistant's text passes through before it becomes
// Claude content: each holds back just enough of the stream to decide
// something that may be split across upstream chunks.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace kb::reply {

/// Length of the longest prefix of `s` that does not end inside an
/// incomplete UTF-8 sequence (the rest may be completed by the next chunk).
/// Invalid bytes count as complete: they are repaired when serialized.
size_t complete_utf8_prefix(std::string_view s) noexcept;

/// Splits `<thinking>…</thinking>` at the start of the output from the text
/// that follows. The opening tag must be the first thing after optional
/// whitespace; the closing tag counts only when not preceded by a quote or
/// backtick and followed by "\n\n" or by nothing but whitespace before the
/// end of the stream or a tool call. Thinking text is trimmed of surrounding
/// whitespace and whitespace right after the block is dropped.
class thinking_splitter {
public:
  /// What one call produced, always in this order: thinking text, the end
  /// of the thinking block, plain text.
  struct output {
    std::string thinking;
    bool opened = false; ///< the opening tag was recognized in this call
    bool closed = false; ///< the thinking block ended in this call
    std::string text;
    void clear();
  };

  void feed(std::string_view in, output& out);
  /// End of the stream or a tool call: nothing more can complete a tag.
  void flush(output& out);
  /// The splitter has decided there is no (more) thinking: text passes as is.
  bool passthrough() const noexcept { return state_ == state::text; }

private:
  enum class state : uint8_t { detect, thinking, after, text };

  void detect(output& out);
  void scan_thinking(output& out);
  void drop_leading_space(output& out);
  void emit_thinking(size_t end, output& out);

  state state_ = state::detect;
  std::string buf_;
  bool content_started_ = false; ///< non-whitespace thinking text seen
  char last_emitted_ = '\0';
  size_t search_from_ = 0;
};

/// Receives what `bracket_extractor` finds; views are valid during the call.
class bracket_listener {
public:
  virtual void on_text(std::string_view text) = 0;
  /// `input_json` is the normalized (re-serialized) argument object.
  virtual void on_call(std::string_view name, std::string_view input_json) = 0;

protected:
  ~bracket_listener() = default;
};

/// Finds legacy `[Called NAME with args: {json}]` tool calls in text and
/// removes them; identical calls (same name and arguments) are reported
/// once. Text from a possible `[Called` prefix is held back until the bracket
/// closes or the text cannot be a call any more.
class bracket_extractor {
public:
  /// Only calls to these names are recognized (all names when empty).
  explicit bracket_extractor(std::vector<std::string> tool_names = {});

  void feed(std::string_view in, bracket_listener& listener);
  void flush(bracket_listener& listener);

  /// A held candidate longer than this is given up and released as text.
  static constexpr size_t max_call_bytes = 1 << 20;

private:
  enum class match : uint8_t { no, need_more, yes };

  void process(bracket_listener& listener);
  match match_header(size_t start);
  match scan_arguments();
  match match_close();
  void reset_candidate();

  std::unordered_set<std::string> allowed_;
  std::unordered_set<std::string> seen_calls_;
  std::string buf_;
  // Candidate state, offsets into buf_ (the candidate starts at 0).
  bool header_done_ = false;
  bool json_done_ = false;
  size_t name_begin_ = 0, name_end_ = 0;
  size_t json_begin_ = 0, scan_pos_ = 0, json_end_ = 0, close_end_ = 0;
  int depth_ = 0;
  bool in_string_ = false, escape_ = false;
};

/// Cuts the text at the first stop sequence. While streaming it holds back
/// max(length)−1 bytes so a sequence split across chunks is still caught.
class stop_filter {
public:
  explicit stop_filter(std::vector<std::string> sequences);

  bool enabled() const noexcept { return !sequences_.empty(); }
  /// Appends the text that is safe to emit; returns true when a sequence
  /// matched (then `out` ends right before it and later input is ignored).
  bool feed(std::string_view in, std::string& out);
  void flush(std::string& out);
  /// The sequence that matched, if any.
  const std::string* matched() const noexcept;

private:
  std::vector<std::string> sequences_;
  size_t hold_ = 0;
  std::string buf_;
  std::optional<size_t> matched_;
};

} // namespace kb::reply
