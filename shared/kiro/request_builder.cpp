#include "shared/kiro/request_builder.hpp"

#include <optional>

#include <boost/json.hpp>

#include "shared/common/json_text.hpp"
#include "shared/common/sha256.hpp"
#include "shared/kiro/image_fit.hpp"
#include "shared/kiro/system_prompt.hpp"
#include "shared/kiro/tool_catalog.hpp"
#include "shared/kiro/tool_names.hpp"
#include "shared/kiro/turn_shaping.hpp"

namespace kb::kiro {

namespace {

// Everything the body needs, in Kiro's shape but not yet serialized.
struct shaped_conversation {
  std::vector<turn> turns; ///< alternating, user first; back() is current
  tool_catalog catalog;
  std::string system_text;
  std::string current_instruction;
};

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

bool is_uuid(std::string_view s) noexcept {
  if (s.size() != 36)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i]))
      return false;
  }
  return true;
}

std::string uuid_from_hash(std::string_view seed) {
  auto digest = sha256(seed);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x40);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out.push_back('-');
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0F]);
  }
  return out;
}

std::optional<api_error> check_images(const conversation& conv) {
  for (const auto& t : conv.turns) {
    for (const auto& img : t.images)
      if (auto format = image_format(img.media_type); !format)
        return format.error();
    for (const auto& o : t.tool_outcomes)
      for (const auto& img : o.images)
        if (auto format = image_format(img.media_type); !format)
          return format.error();
  }
  return std::nullopt;
}

std::vector<std::string_view> history_tool_names(const std::vector<turn>& turns) {
  std::vector<std::string_view> names;
  for (const auto& t : turns)
    for (const auto& c : t.tool_calls)
      names.push_back(c.name);
  return names;
}

/// Prompt text names a shortened tool by its Kiro name, as the specs do.
void rename_mentions(shaped_conversation& shaped) {
  const tool_name_map& renamed = shaped.catalog.name_map;
  if (renamed.empty())
    return;
  rename_tool_mentions(shaped.system_text, renamed);
  for (auto& tool : shaped.catalog.tools)
    rename_tool_mentions(tool.description, renamed);
  for (auto& t : shaped.turns) {
    rename_tool_mentions(t.text, renamed);
    for (auto& o : t.tool_outcomes)
      rename_tool_mentions(o.text, renamed);
  }
}

shaped_conversation shape(const conversation& conv,
                          const build_options& options) {
  std::vector<turn> turns = conv.turns;
  for (auto& t : turns)
    hoist_tool_result_images(t);
  turns = merge_same_role_turns(std::move(turns));
  frame_with_user_turns(turns);
  pair_tool_calls(turns);

  shaped_conversation shaped;
  shaped.catalog = build_tool_catalog(
      conv.tools, conv.tool_choice != tool_choice_mode::none,
      history_tool_names(turns),
      {options.max_tool_description, options.chunked_write_guidance});
  shaped.system_text = compose_system_text(conv.system, conv.thinking,
                                           shaped.catalog.documentation);
  shaped.current_instruction = tool_choice_instruction(conv);
  shaped.turns = std::move(turns);
  rename_mentions(shaped);
  return shaped;
}

// -- serialization ----------------------------------------------------------

void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key; // keys are our own ASCII literals
  out += "\":";
}

void append_string_field(std::string& out, std::string_view key,
                         std::string_view value) {
  append_key(out, key);
  append_json_string(out, value);
}

// The tool input as a JSON object; anything else becomes {} so the body
// stays valid.
void append_tool_input(std::string& out, std::string_view input_json) {
  unsigned char buffer[4096];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  boost::json::parse_options options;
  options.max_depth = 1024;
  boost::system::error_code ec;
  boost::json::value parsed =
      boost::json::parse(input_json, ec, &arena, options);
  if (!ec && parsed.is_object())
    out += input_json;
  else
    out += "{}";
}

std::string_view strip_data_url(std::string_view data) {
  if (data.starts_with("data:"))
    if (auto comma = data.find(','); comma != std::string_view::npos)
      return data.substr(comma + 1);
  return data;
}

void append_images(std::string& out, const std::vector<image>& images) {
  if (images.empty())
    return;
  out += ",\"images\":[";
  for (size_t i = 0; i < images.size(); ++i) {
    if (i)
      out += ',';
    out += '{';
    // Types were checked before shaping, so the format exists.
    append_string_field(out, "format",
                        image_format(images[i].media_type).value());
    out += ",\"source\":{";
    append_string_field(out, "bytes", strip_data_url(images[i].data));
    out += "}}";
  }
  out += ']';
}

void append_tool_results(std::string& out,
                         const std::vector<tool_outcome>& outcomes) {
  append_key(out, "toolResults");
  out += '[';
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (i)
      out += ',';
    out += '{';
    append_string_field(out, "toolUseId", outcomes[i].tool_use_id);
    out += ",\"content\":[{";
    append_string_field(out, "text", tool_result_text(outcomes[i]));
    out += "}],";
    append_string_field(out, "status",
                        outcomes[i].is_error ? "error" : "success");
    out += '}';
  }
  out += ']';
}

void append_tools(std::string& out, const std::vector<kiro_tool>& tools) {
  append_key(out, "tools");
  out += '[';
  for (size_t i = 0; i < tools.size(); ++i) {
    if (i)
      out += ',';
    out += "{\"toolSpecification\":{";
    append_string_field(out, "name", tools[i].name);
    out += ',';
    append_string_field(out, "description", tools[i].description);
    out += ",\"inputSchema\":{\"json\":";
    out += tools[i].schema_json;
    out += "}}}";
  }
  out += ']';
}

struct user_message_view {
  std::string_view content;
  const std::vector<image>* images = nullptr;
  const std::vector<tool_outcome>* tool_results = nullptr;
  const std::vector<kiro_tool>* tools = nullptr;
};

void append_user_message(std::string& out, const user_message_view& message,
                         std::string_view model_id) {
  out += "{\"userInputMessage\":{";
  append_string_field(out, "content", message.content);
  out += ',';
  append_string_field(out, "modelId", model_id);
  out += ",\"origin\":\"AI_EDITOR\"";
  if (message.images)
    append_images(out, *message.images);
  bool has_tools = message.tools && !message.tools->empty();
  bool has_results = message.tool_results && !message.tool_results->empty();
  if (has_tools || has_results) {
    out += ",\"userInputMessageContext\":{";
    if (has_tools)
      append_tools(out, *message.tools);
    if (has_tools && has_results)
      out += ',';
    if (has_results)
      append_tool_results(out, *message.tool_results);
    out += '}';
  }
  out += "}}";
}

void append_assistant_message(std::string& out, std::string_view content,
                              const std::vector<tool_call>& calls) {
  out += "{\"assistantResponseMessage\":{";
  append_string_field(out, "content", content);
  if (!calls.empty()) {
    out += ",\"toolUses\":[";
    for (size_t i = 0; i < calls.size(); ++i) {
      if (i)
        out += ',';
      out += '{';
      append_string_field(out, "toolUseId", calls[i].id);
      out += ',';
      append_string_field(out, "name", shorten_tool_name(calls[i].name));
      out += ",\"input\":";
      append_tool_input(out, calls[i].input_json);
      out += '}';
    }
    out += ']';
  }
  out += "}}";
}

// The body in pieces whose sizes add up to the body's: the shaping that
// fits it under the size limit re-renders only the entries it changes, and
// the body is joined once at the end.
struct body_parts {
  std::string head;  ///< up to and including the current message
  std::string system_pair; ///< the system text pair, "" when there is none
  std::vector<std::string> entries; ///< one per history turn
  size_t first_entry = 0;           ///< entries before it are dropped
  size_t entry_bytes = 0;           ///< of entries[first_entry..]
  std::string tail;

  static constexpr std::string_view history_open = ",\"history\":[";

  /// The system pair (one piece, its comma inside) and the kept entries.
  size_t pieces() const {
    return (system_pair.empty() ? 0 : 1) + entries.size() - first_entry;
  }

  size_t size() const {
    size_t n = head.size() + tail.size();
    if (pieces() > 0) // "[", the pieces, the commas between them, "]"
      n += history_open.size() + system_pair.size() + entry_bytes + (pieces() - 1) + 1;
    return n;
  }

  void replace_entry(size_t i, std::string text) {
    entry_bytes += text.size();
    entry_bytes -= entries[i].size();
    entries[i] = std::move(text);
  }

  void drop_front_entry() {
    entry_bytes -= entries[first_entry].size();
    std::string().swap(entries[first_entry]);
    ++first_entry;
  }

  std::string join() const {
    std::string out;
    out.reserve(size());
    out += head;
    if (pieces() > 0) {
      out += history_open;
      out += system_pair;
      bool first = system_pair.empty();
      for (size_t i = first_entry; i < entries.size(); ++i) {
        if (!first)
          out += ',';
        first = false;
        out += entries[i];
      }
      out += ']';
    }
    out += tail;
    return out;
  }
};

std::string render_history_entry(const turn& t, std::string_view model_id) {
  std::string out;
  size_t estimate = 256 + t.text.size() + t.thinking.size();
  for (const auto& img : t.images)
    estimate += 64 + img.data.size();
  for (const auto& c : t.tool_calls)
    estimate += 128 + c.input_json.size();
  for (const auto& o : t.tool_outcomes)
    estimate += 128 + o.text.size();
  out.reserve(estimate);
  if (t.role == role::user)
    append_user_message(out, {history_user_content(t), &t.images, &t.tool_outcomes, nullptr},
                        model_id);
  else
    append_assistant_message(out, assistant_content(t), t.tool_calls);
  return out;
}

body_parts render_parts(const shaped_conversation& shaped, std::string_view model_id,
                        std::string_view conversation_id, const build_options& options) {
  body_parts parts;
  const turn& current = shaped.turns.back();
  std::string current_content = current_user_content(current);
  if (!shaped.current_instruction.empty()) {
    current_content += "\n\n";
    current_content += shaped.current_instruction;
  }
  size_t head_estimate = 1024 + current_content.size();
  for (const auto& img : current.images)
    head_estimate += 64 + img.data.size();
  for (const auto& o : current.tool_outcomes)
    head_estimate += 128 + o.text.size();
  for (const auto& tool : shaped.catalog.tools)
    head_estimate += 128 + tool.description.size() + tool.schema_json.size();
  std::string& head = parts.head;
  head.reserve(head_estimate);
  head += "{\"conversationState\":{";
  if (!options.agent_continuation_id.empty()) {
    append_string_field(head, "agentContinuationId", options.agent_continuation_id);
    head += ',';
  }
  head += "\"agentTaskType\":\"vibe\",\"chatTriggerType\":\"MANUAL\",";
  append_string_field(head, "conversationId", conversation_id);
  head += ",\"currentMessage\":";
  append_user_message(head,
                      {current_content, &current.images, &current.tool_outcomes,
                       &shaped.catalog.tools},
                      model_id);

  if (!shaped.system_text.empty()) {
    parts.system_pair.reserve(shaped.system_text.size() + 256);
    append_user_message(parts.system_pair, {shaped.system_text}, model_id);
    parts.system_pair += ',';
    append_assistant_message(parts.system_pair, system_acknowledgement, {});
  }
  size_t history_turns = shaped.turns.size() - 1;
  parts.entries.reserve(history_turns);
  for (size_t i = 0; i < history_turns; ++i) {
    parts.entries.push_back(render_history_entry(shaped.turns[i], model_id));
    parts.entry_bytes += parts.entries.back().size();
  }

  parts.tail = "}";
  if (!options.profile_arn.empty()) {
    parts.tail += ',';
    append_string_field(parts.tail, "profileArn", options.profile_arn);
  }
  parts.tail += '}';
  return parts;
}

constexpr std::string_view omitted_turns_note =
    "[earlier messages omitted to fit Kiro's request size limit]";

/// Shapes the history until the body fits `max_bytes` (see the header):
/// history images oldest first, then the oldest turns in user+assistant
/// pairs. Returns whether it fits.
bool fit_body_size(shaped_conversation& shaped, body_parts& parts, size_t max_bytes,
                   std::string_view model_id) {
  if (parts.size() <= max_bytes)
    return true;
  std::vector<turn>& turns = shaped.turns;
  const size_t history_turns = turns.size() - 1;
  for (size_t i = 0; i < history_turns && parts.size() > max_bytes; ++i) {
    if (turns[i].images.empty())
      continue;
    omit_images(turns[i]);
    parts.replace_entry(i, render_history_entry(turns[i], model_id));
  }
  // The assistant turn the current message's tool results answer stays,
  // with the user turn before it (history starts with a user turn).
  const size_t kept_tail = turns.back().tool_outcomes.empty() ? 0 : 2;
  while (parts.size() > max_bytes && parts.first_entry + kept_tail + 2 <= history_turns) {
    parts.drop_front_entry(); // user
    parts.drop_front_entry(); // assistant
    if (parts.first_entry == history_turns)
      break;
    // The new first user turn's tool results answered the dropped assistant.
    turn& first = turns[parts.first_entry];
    first.tool_outcomes.clear();
    if (!first.text.starts_with(omitted_turns_note)) {
      std::string text(omitted_turns_note);
      if (!first.text.empty()) {
        text += "\n\n";
        text += first.text;
      }
      first.text = std::move(text);
    }
    parts.replace_entry(parts.first_entry, render_history_entry(first, model_id));
  }
  return parts.size() <= max_bytes;
}

api_error too_long(size_t body_bytes, size_t max_bytes) {
  return invalid_request(
      "prompt is too long: the translated request is " +
      std::to_string(body_bytes) + " bytes, Kiro accepts at most " +
      std::to_string(max_bytes) +
      "; shorten the conversation (e.g. /compact in Claude Code)");
}

} // namespace

result<std::string> image_format(std::string_view media_type) {
  if (media_type == "image/png")
    return std::string("png");
  if (media_type == "image/jpeg" || media_type == "image/jpg")
    return std::string("jpeg");
  if (media_type == "image/gif")
    return std::string("gif");
  if (media_type == "image/webp")
    return std::string("webp");
  return invalid_request(
      "image media type " + json_quote(media_type) +
      " is not supported; use image/png, image/jpeg, image/gif or image/webp");
}

std::string tool_choice_instruction(const conversation& conv) {
  if (conv.tools.empty())
    return {};
  switch (conv.tool_choice) {
    case tool_choice_mode::any:
      return "You must call at least one of the available tools now.";
    case tool_choice_mode::tool:
      return "You must call the tool `" +
             shorten_tool_name(conv.tool_choice_name) + "` now.";
    case tool_choice_mode::auto_:
    case tool_choice_mode::none:
      break;
  }
  return {};
}

std::string conversation_id_for(const conversation& conv) {
  if (is_uuid(conv.session_id))
    return conv.session_id;
  if (!conv.session_id.empty())
    return uuid_from_hash("session:" + conv.session_id);
  return uuid_from_hash("request:" + conv.request_id);
}

result<built_request> build_request(const conversation& conv,
                                    const build_options& options) {
  if (conv.upstream_model.empty())
    return invalid_request("model: no Kiro model is mapped for " +
                           json_quote(conv.model));
  if (auto bad_image = check_images(conv))
    return *bad_image;

  shaped_conversation shaped = shape(conv, options);
  std::string conversation_id = options.conversation_id.empty()
                                    ? conversation_id_for(conv)
                                    : options.conversation_id;

  omit_old_images(shaped.turns, options.max_history_images);
  if (auto bad_image = fit_image_limits(shaped.turns))
    return *bad_image;
  body_parts parts =
      render_parts(shaped, conv.upstream_model, conversation_id, options);
  if (!fit_body_size(shaped, parts, options.max_body_bytes, conv.upstream_model))
    return too_long(parts.size(), options.max_body_bytes);
  return built_request{parts.join(), std::move(shaped.catalog.name_map)};
}

} // namespace kb::kiro
