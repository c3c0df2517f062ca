#include "shared/reply/text_filters.hpp"

#include <algorithm>

#include "shared/reply/json_object.hpp"

namespace kb::reply {

namespace {

constexpr std::string_view open_tag = "<thinking>";
constexpr std::string_view close_tag = "</thinking>";
constexpr std::string_view call_prefix = "[Called ";
constexpr std::string_view call_middle = " with args:";
constexpr size_t max_tool_name = 128;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool all_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_space);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.';
}

bool is_quote(char c) { return c == '`' || c == '"' || c == '\''; }

} // namespace

size_t complete_utf8_prefix(std::string_view s) noexcept {
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;
    size_t needed = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return needed > back ? n - back : n;
  }
  return n;
}

// ---------------------------------------------------------------- thinking

void thinking_splitter::output::clear() {
  thinking.clear();
  opened = false;
  closed = false;
  text.clear();
}

void thinking_splitter::feed(std::string_view in, output& out) {
  if (state_ == state::text) {
    out.text.append(in);
    return;
  }
  buf_.append(in);
  switch (state_) {
    case state::detect: detect(out); break;
    case state::thinking: scan_thinking(out); break;
    case state::after: drop_leading_space(out); break;
    case state::text: break;
  }
}

void thinking_splitter::detect(output& out) {
  std::string_view rest = buf_;
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  if (rest.size() < open_tag.size() && open_tag.starts_with(rest)) return;
  if (!rest.starts_with(open_tag)) {
    out.text.append(buf_);
    buf_.clear();
    state_ = state::text;
    return;
  }
  buf_.erase(0, buf_.size() - rest.size() + open_tag.size());
  state_ = state::thinking;
  out.opened = true;
  scan_thinking(out);
}

void thinking_splitter::emit_thinking(size_t end, output& out) {
  while (end > 0 && is_space(buf_[end - 1])) --end;
  if (end > 0) {
    out.thinking.append(buf_, 0, end);
    last_emitted_ = buf_[end - 1];
    buf_.erase(0, end);
  }
  search_from_ = 0;
}

void thinking_splitter::scan_thinking(output& out) {
  if (!content_started_) {
    size_t first = buf_.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
      buf_.clear();
      return;
    }
    buf_.erase(0, first);
    content_started_ = true;
  }
  for (;;) {
    size_t p = buf_.find(close_tag, search_from_);
    if (p == std::string::npos) break;
    char before = p > 0 ? buf_[p - 1] : last_emitted_;
    std::string_view after = std::string_view(buf_).substr(p + close_tag.size());
    if (is_quote(before) || !(after.starts_with("\n\n") || all_space(after))) {
      search_from_ = p + 1;
      continue;
    }
    if (!after.starts_with("\n\n")) {
      // Only whitespace so far: the next chunk or the end decides.
      emit_thinking(p, out);
      return;
    }
    emit_thinking(p, out);
    size_t rest = buf_.find(close_tag) + close_tag.size() + 2;
    buf_.erase(0, rest);
    out.closed = true;
    state_ = state::after;
    drop_leading_space(out);
    return;
  }
  size_t hold_from = buf_.size();
  size_t lt = buf_.rfind('<');
  if (lt != std::string::npos && buf_.size() - lt < close_tag.size() &&
      close_tag.starts_with(std::string_view(buf_).substr(lt)))
    hold_from = lt;
  emit_thinking(hold_from, out);
}

void thinking_splitter::drop_leading_space(output& out) {
  size_t first = buf_.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    buf_.clear();
    return;
  }
  out.text.append(buf_, first);
  buf_.clear();
  state_ = state::text;
}

void thinking_splitter::flush(output& out) {
  switch (state_) {
    case state::detect:
      out.text.append(buf_);
      break;
    case state::thinking: {
      // What is held is either a closing tag followed by whitespace (a real
      // end now that nothing follows) or the start of one (thinking text).
      size_t end = buf_.size();
      size_t p = buf_.find(close_tag);
      if (p != std::string::npos) {
        char before = p > 0 ? buf_[p - 1] : last_emitted_;
        if (!is_quote(before) && all_space(std::string_view(buf_).substr(p + close_tag.size())))
          end = p;
      }
      emit_thinking(end, out);
      out.closed = true;
      break;
    }
    case state::after:
    case state::text:
      break;
  }
  buf_.clear();
  state_ = state::text;
}

// ----------------------------------------------------------- bracket calls

bracket_extractor::bracket_extractor(std::vector<std::string> tool_names)
    : allowed_(std::make_move_iterator(tool_names.begin()),
               std::make_move_iterator(tool_names.end())) {}

void bracket_extractor::feed(std::string_view in, bracket_listener& listener) {
  if (buf_.empty()) {
    size_t p = in.find('[');
    if (p == std::string_view::npos) {
      if (!in.empty()) listener.on_text(in);
      return;
    }
    if (p > 0) listener.on_text(in.substr(0, p));
    buf_.assign(in.substr(p));
  } else {
    buf_.append(in);
  }
  process(listener);
}

void bracket_extractor::flush(bracket_listener& listener) {
  if (!buf_.empty()) listener.on_text(buf_);
  buf_.clear();
  reset_candidate();
}

void bracket_extractor::reset_candidate() {
  header_done_ = false;
  json_done_ = false;
}

void bracket_extractor::process(bracket_listener& listener) {
  std::string_view view = buf_;
  size_t pos = 0;
  auto reject = [&] {
    listener.on_text(view.substr(pos, 1));
    ++pos;
    reset_candidate();
  };
  while (pos < buf_.size()) {
    if (!header_done_) {
      size_t p = buf_.find('[', pos);
      if (p == std::string::npos) {
        listener.on_text(view.substr(pos));
        pos = buf_.size();
        break;
      }
      if (p > pos) listener.on_text(view.substr(pos, p - pos));
      pos = p;
      match m = match_header(pos);
      if (m == match::need_more) break;
      if (m == match::no) {
        reject();
        continue;
      }
    }
    if (!json_done_ && scan_arguments() == match::need_more) {
      if (buf_.size() - pos > max_call_bytes) {
        reject();
        continue;
      }
      break;
    }
    match close = match_close();
    if (close == match::need_more) break;
    auto name = view.substr(name_begin_, name_end_ - name_begin_);
    auto input = normalize_json_object(view.substr(json_begin_, json_end_ - json_begin_));
    bool allowed = allowed_.empty() || allowed_.count(std::string(name)) > 0;
    if (close == match::no || !input || !allowed) {
      reject();
      continue;
    }
    std::string key;
    key.reserve(name.size() + 1 + input->size());
    key.append(name).push_back('\0');
    key.append(*input);
    if (seen_calls_.insert(std::move(key)).second) listener.on_call(name, *input);
    pos = close_end_;
    reset_candidate();
  }
  if (pos > 0) {
    buf_.erase(0, pos);
    name_begin_ -= std::min(name_begin_, pos);
    name_end_ -= std::min(name_end_, pos);
    json_begin_ -= std::min(json_begin_, pos);
    json_end_ -= std::min(json_end_, pos);
    scan_pos_ -= std::min(scan_pos_, pos);
  }
}

bracket_extractor::match bracket_extractor::match_header(size_t start) {
  size_t i = start;
  auto literal = [&](std::string_view text) {
    for (char c : text) {
      if (i >= buf_.size()) return match::need_more;
      if (buf_[i] != c) return match::no;
      ++i;
    }
    return match::yes;
  };
  if (match m = literal(call_prefix); m != match::yes) return m;
  size_t name_begin = i;
  while (i < buf_.size() && is_name_char(buf_[i])) {
    if (++i - name_begin > max_tool_name) return match::no;
  }
  if (i == buf_.size()) return match::need_more;
  if (i == name_begin) return match::no;
  size_t name_end = i;
  if (match m = literal(call_middle); m != match::yes) return m;
  while (i < buf_.size() && is_space(buf_[i])) ++i;
  if (i == buf_.size()) return match::need_more;
  if (buf_[i] != '{') return match::no;
  header_done_ = true;
  name_begin_ = name_begin;
  name_end_ = name_end;
  json_begin_ = i;
  scan_pos_ = i + 1;
  depth_ = 1;
  in_string_ = false;
  escape_ = false;
  return match::yes;
}

bracket_extractor::match bracket_extractor::scan_arguments() {
  for (; scan_pos_ < buf_.size(); ++scan_pos_) {
    char c = buf_[scan_pos_];
    if (in_string_) {
      if (escape_) escape_ = false;
      else if (c == '\\') escape_ = true;
      else if (c == '"') in_string_ = false;
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{') {
      ++depth_;
    } else if (c == '}' && --depth_ == 0) {
      json_end_ = ++scan_pos_;
      json_done_ = true;
      return match::yes;
    }
  }
  return match::need_more;
}

bracket_extractor::match bracket_extractor::match_close() {
  size_t i = json_end_;
  while (i < buf_.size() && is_space(buf_[i])) ++i;
  if (i == buf_.size()) return match::need_more;
  if (buf_[i] != ']') return match::no;
  close_end_ = i + 1;
  return match::yes;
}

// ---------------------------------------------------------- stop sequences

stop_filter::stop_filter(std::vector<std::string> sequences) {
  for (auto& s : sequences) {
    if (s.empty()) continue;
    hold_ = std::max(hold_, s.size() - 1);
    sequences_.push_back(std::move(s));
  }
}

bool stop_filter::feed(std::string_view in, std::string& out) {
  if (matched_) return true;
  buf_.append(in);
  size_t best = std::string::npos;
  for (size_t i = 0; i < sequences_.size(); ++i) {
    size_t p = buf_.find(sequences_[i]);
    if (p < best) {
      best = p;
      matched_ = i;
    }
  }
  if (matched_) {
    out.append(buf_, 0, best);
    buf_.clear();
    return true;
  }
  size_t cut = buf_.size() - std::min(hold_, buf_.size());
  while (cut > 0 && cut < buf_.size() && (static_cast<unsigned char>(buf_[cut]) & 0xC0) == 0x80)
    --cut;
  out.append(buf_, 0, cut);
  buf_.erase(0, cut);
  return false;
}

void stop_filter::flush(std::string& out) {
  if (!matched_) out.append(buf_);
  buf_.clear();
}

const std::string* stop_filter::matched() const noexcept {
  return matched_ ? &sequences_[*matched_] : nullptr;
}

} // namespace kb::reply
