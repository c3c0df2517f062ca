#include "shared/kiro/turn_shaping.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_set>

namespace kb::kiro {

namespace {

void append_joined(std::string& into, std::string_view part,
                   std::string_view separator) {
  if (part.empty())
    return;
  if (!into.empty())
    into.append(separator);
  into.append(part);
}

template <class T>
void append_moved(std::vector<T>& into, std::vector<T>& from) {
  into.insert(into.end(), std::make_move_iterator(from.begin()),
              std::make_move_iterator(from.end()));
  from.clear();
}

void merge_into(turn& into, turn&& from) {
  append_joined(into.text, from.text, "\n");
  append_joined(into.thinking, from.thinking, "\n");
  append_moved(into.images, from.images);
  append_moved(into.tool_calls, from.tool_calls);
  append_moved(into.tool_outcomes, from.tool_outcomes);
}

bool is_blank(std::string_view s) noexcept {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

turn empty_turn(role r) {
  turn t;
  t.role = r;
  return t;
}

std::string orphan_result_text(const tool_outcome& o) {
  std::string text = o.is_error ? "[Tool error for call " : "[Tool result for call ";
  text += o.tool_use_id;
  text += "]\n";
  text += tool_result_text(o);
  return text;
}

std::string unanswered_call_text(const tool_call& c) {
  return "(tool " + c.name + " was called but no result was recorded)";
}

void keep_answering_outcomes(turn& user, const turn* previous_assistant) {
  std::unordered_set<std::string_view> call_ids;
  if (previous_assistant)
    for (const auto& c : previous_assistant->tool_calls)
      if (!c.id.empty())
        call_ids.insert(c.id);
  std::unordered_set<std::string> seen;
  std::vector<tool_outcome> kept;
  std::string orphan_text;
  for (auto& o : user.tool_outcomes) {
    if (!o.tool_use_id.empty() && !seen.insert(o.tool_use_id).second)
      continue;
    if (call_ids.contains(o.tool_use_id))
      kept.push_back(std::move(o));
    else
      append_joined(orphan_text, orphan_result_text(o), "\n\n");
  }
  user.tool_outcomes = std::move(kept);
  if (!orphan_text.empty()) {
    append_joined(orphan_text, user.text, "\n\n");
    user.text = std::move(orphan_text);
  }
}

void keep_answered_calls(turn& assistant, const turn& next_user) {
  std::unordered_set<std::string_view> answered;
  for (const auto& o : next_user.tool_outcomes)
    answered.insert(o.tool_use_id);
  std::unordered_set<std::string> seen;
  std::vector<tool_call> kept;
  std::string mentions;
  for (auto& c : assistant.tool_calls) {
    if (!c.id.empty() && !seen.insert(c.id).second)
      continue;
    if (!c.id.empty() && answered.contains(c.id))
      kept.push_back(std::move(c));
    else
      append_joined(mentions, unanswered_call_text(c), "\n");
  }
  assistant.tool_calls = std::move(kept);
  append_joined(assistant.text, mentions, "\n");
}

} // namespace

void hoist_tool_result_images(turn& t) {
  for (auto& o : t.tool_outcomes)
    append_moved(t.images, o.images);
}

std::vector<turn> merge_same_role_turns(std::vector<turn> turns) {
  std::vector<turn> merged;
  merged.reserve(turns.size());
  for (auto& t : turns) {
    if (!merged.empty() && merged.back().role == t.role)
      merge_into(merged.back(), std::move(t));
    else
      merged.push_back(std::move(t));
  }
  return merged;
}

void frame_with_user_turns(std::vector<turn>& turns) {
  if (turns.empty() || turns.front().role == role::assistant)
    turns.insert(turns.begin(), empty_turn(role::user));
  if (turns.back().role == role::assistant)
    turns.push_back(empty_turn(role::user));
}

void pair_tool_calls(std::vector<turn>& turns) {
  for (size_t i = 0; i < turns.size(); ++i)
    if (turns[i].role == role::user)
      keep_answering_outcomes(turns[i], i > 0 ? &turns[i - 1] : nullptr);
  for (size_t i = 0; i + 1 < turns.size(); ++i)
    if (turns[i].role == role::assistant)
      keep_answered_calls(turns[i], turns[i + 1]);
}

std::string image_placeholder(std::string_view media_type) {
  std::string text = "[image omitted: ";
  text.append(media_type);
  text.push_back(']');
  return text;
}

void omit_old_images(std::vector<turn>& history_and_current,
                     size_t keep_last) {
  if (history_and_current.size() < 2)
    return;
  size_t users_seen = 0;
  for (size_t i = history_and_current.size() - 1; i-- > 0;) {
    turn& t = history_and_current[i];
    if (t.role != role::user)
      continue;
    if (++users_seen <= keep_last)
      continue;
    omit_images(t);
  }
}

void omit_images(turn& t) {
  for (const auto& img : t.images)
    append_joined(t.text, image_placeholder(img.media_type), "\n");
  t.images.clear();
}

std::string assistant_content(const turn& t) {
  std::string content;
  if (!t.thinking.empty()) {
    content.reserve(t.thinking.size() + t.text.size() + 24);
    content += "<thinking>";
    content += t.thinking;
    content += "</thinking>\n\n";
  }
  content += t.text;
  if (is_blank(content))
    content = empty_assistant_content;
  return content;
}

std::string history_user_content(const turn& t) {
  if (!is_blank(t.text))
    return t.text;
  return std::string(t.tool_outcomes.empty() ? empty_user_content
                                             : tool_results_content);
}

std::string current_user_content(const turn& t) {
  if (!is_blank(t.text))
    return t.text;
  return std::string(t.tool_outcomes.empty() ? continue_content
                                             : tool_results_content);
}

std::string_view tool_result_text(const tool_outcome& o) {
  return is_blank(o.text) ? empty_tool_result_text : std::string_view(o.text);
}

} // namespace kb::kiro
