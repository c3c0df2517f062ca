#include "shared/claude/message_content.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

#include "shared/claude/json_field.hpp"

namespace kb::claude {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 4> image_media_types = {
    "image/jpeg", "image/png", "image/gif", "image/webp"};

/// Blocks produced by Anthropic's server-side tools. Kiro can neither run
/// nor replay them, and the assistant's own text already reports their
/// outcome, so they are dropped.
constexpr std::array<std::string_view, 10> server_side_block_types = {
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view s) {
  for (auto item : set)
    if (item == s) return true;
  return false;
}

void append_joined(std::string& out, std::string_view piece, std::string_view separator) {
  if (piece.empty()) return;
  if (!out.empty()) out += separator;
  out += piece;
}

std::string_view role_name(kb::role role) {
  return role == kb::role::user ? "user" : "assistant";
}

api_error misplaced(std::string_view block_path, std::string_view type, kb::role allowed) {
  return field_error(block_path, std::string(type) + " blocks are only allowed in " +
                                     std::string(role_name(allowed)) + " messages");
}

api_error unknown_block_type(std::string_view block_path, std::string_view type) {
  return field_error(join_path(block_path, "type"),
                     "unknown content block type '" + std::string(type) + "'");
}

// A table: images are megabytes of base64, checked byte by byte.
constexpr auto base64_chars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[static_cast<size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                                    c == '=' || c == '-' || c == '_' || c == '\r' || c == '\n';
  return table;
}();

bool is_base64_char(char c) { return base64_chars[static_cast<unsigned char>(c)]; }

/// `data:image/png;base64,AAAA` → `AAAA`; plain base64 is returned unchanged.
std::string_view strip_data_url_prefix(std::string_view data) {
  constexpr std::string_view marker = ";base64,";
  if (!data.starts_with("data:")) return data;
  const auto at = data.find(marker);
  if (at == std::string_view::npos) return {};
  return data.substr(at + marker.size());
}

result<image> parse_image_block(const json::object& block, std::string_view block_path,
                                std::vector<image_block_ref>* refs) {
  const std::string source_path = join_path(block_path, "source");
  auto source_value = required_field(block, "source", source_path);
  if (!source_value) return source_value.error();
  auto source = as_object(**source_value, source_path);
  if (!source) return source.error();
  auto type = block_type(**source, source_path);
  if (!type) return type.error();
  if (*type == "url")
    return field_error(source_path,
                       "image URLs are not supported by this gateway; send the image as base64");
  if (*type == "file")
    return field_error(source_path,
                       "file references are not supported by this gateway; send the image as base64");
  if (*type != "base64")
    return field_error(join_path(source_path, "type"), "Input should be 'base64' or 'url'");

  const std::string media_path = join_path(source_path, "media_type");
  auto media_type_value = required_field(**source, "media_type", media_path);
  if (!media_type_value) return media_type_value.error();
  const auto* media_type = (*media_type_value)->if_string();
  if (media_type == nullptr ||
      !contains(image_media_types, std::string_view(media_type->data(), media_type->size())))
    return field_error(media_path,
                       "Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");

  const std::string data_path = join_path(source_path, "data");
  auto data = required_non_empty_string(**source, "data", data_path);
  if (!data) return data.error();
  const std::string_view base64 = strip_data_url_prefix(*data);
  if (base64.empty() || !std::all_of(base64.begin(), base64.end(), is_base64_char))
    return field_error(data_path, "Input should be valid base64");
  if (refs) refs->push_back({data_path, base64});
  return image{std::string(media_type->data(), media_type->size()), std::string(base64)};
}

/// A `document` block with a plain-text source, as text headed by its title.
result<std::string> parse_document_block(const json::object& block,
                                         std::string_view block_path) {
  const std::string source_path = join_path(block_path, "source");
  auto source_value = required_field(block, "source", source_path);
  if (!source_value) return source_value.error();
  auto source = as_object(**source_value, source_path);
  if (!source) return source.error();
  auto type = block_type(**source, source_path);
  if (!type) return type.error();
  if (*type != "text")
    return field_error(join_path(source_path, "type"),
                       "document source '" + std::string(*type) +
                           "' is not supported by this gateway; send the document as "
                           "source type 'text'");
  const std::string data_path = join_path(source_path, "data");
  auto data_value = required_field(**source, "data", data_path);
  if (!data_value) return data_value.error();
  auto data = as_string(**data_value, data_path);
  if (!data) return data.error();

  std::string text;
  if (const auto* title_value = optional_field(block, "title")) {
    auto title = as_string(*title_value, join_path(block_path, "title"));
    if (!title) return title.error();
    text = *title;
  }
  append_joined(text, *data, "\n");
  return text;
}

result<std::string_view> parse_text_block(const json::object& block,
                                          std::string_view block_path) {
  const std::string text_path = join_path(block_path, "text");
  auto text = required_field(block, "text", text_path);
  if (!text) return text.error();
  return as_string(**text, text_path);
}

result<tool_call> parse_tool_use_block(const json::object& block,
                                       std::string_view block_path) {
  auto id = required_non_empty_string(block, "id", join_path(block_path, "id"));
  if (!id) return id.error();
  auto name = required_non_empty_string(block, "name", join_path(block_path, "name"));
  if (!name) return name.error();
  std::string input_json = "{}";
  if (const auto* input_value = optional_field(block, "input")) {
    auto input = as_object(*input_value, join_path(block_path, "input"));
    if (!input) return input.error();
    input_json = json::serialize(**input);
  }
  return tool_call{std::string(*id), std::string(*name), std::move(input_json)};
}

/// One block inside a tool_result's `content` array.
problem add_tool_result_part(const json::value& part_value, std::string_view part_path,
                             tool_outcome& outcome, std::vector<image_block_ref>* refs) {
  auto part = as_object(part_value, part_path);
  if (!part) return part.error();
  auto type = block_type(**part, part_path);
  if (!type) return type.error();
  if (*type == "text") {
    auto text = parse_text_block(**part, part_path);
    if (!text) return text.error();
    append_joined(outcome.text, *text, "\n");
  } else if (*type == "image") {
    auto img = parse_image_block(**part, part_path, refs);
    if (!img) return img.error();
    outcome.images.push_back(std::move(*img));
  } else if (*type == "document") {
    auto text = parse_document_block(**part, part_path);
    if (!text) return text.error();
    append_joined(outcome.text, *text, "\n");
  } else if (*type == "tool_reference") {
    // Claude Code's tool search answers with references to deferred tools;
    // every tool is sent to Kiro anyway, so the name is all that matters.
    const std::string name_path = join_path(part_path, "tool_name");
    auto name = required_non_empty_string(**part, "tool_name", name_path);
    if (!name) return name.error();
    append_joined(outcome.text, "Tool loaded: " + std::string(*name), "\n");
  } else {
    return unknown_block_type(part_path, *type);
  }
  return std::nullopt;
}

result<tool_outcome> parse_tool_result_block(const json::object& block,
                                             std::string_view block_path,
                                             std::vector<image_block_ref>* refs) {
  tool_outcome outcome;
  auto id = required_non_empty_string(block, "tool_use_id", join_path(block_path, "tool_use_id"));
  if (!id) return id.error();
  outcome.tool_use_id = *id;
  if (const auto* is_error = optional_field(block, "is_error")) {
    auto flag = as_bool(*is_error, join_path(block_path, "is_error"));
    if (!flag) return flag.error();
    outcome.is_error = *flag;
  }
  const auto* content = optional_field(block, "content");
  if (content == nullptr) return outcome;
  const std::string content_path = join_path(block_path, "content");
  if (const auto* text = content->if_string()) {
    outcome.text.assign(text->data(), text->size());
    return outcome;
  }
  const auto* parts = content->if_array();
  if (parts == nullptr)
    return field_error(content_path, "Input should be a valid string or a list of content blocks");
  for (std::size_t i = 0; i < parts->size(); ++i)
    if (auto p = add_tool_result_part((*parts)[i], join_path(content_path, i), outcome, refs))
      return *p;
  return outcome;
}

/// Adds one block of a user or assistant message to `t`.
problem add_block(const json::value& block_value, std::string_view block_path, turn& t,
                  std::vector<image_block_ref>* refs) {
  auto block = as_object(block_value, block_path);
  if (!block) return block.error();
  auto type = block_type(**block, block_path);
  if (!type) return type.error();
  const auto only_in = [&](kb::role allowed) -> problem {
    if (t.role != allowed) return misplaced(block_path, *type, allowed);
    return std::nullopt;
  };

  if (*type == "text") {
    auto text = parse_text_block(**block, block_path);
    if (!text) return text.error();
    append_joined(t.text, *text, "\n");
  } else if (*type == "image") {
    if (auto p = only_in(kb::role::user)) return p;
    auto img = parse_image_block(**block, block_path, refs);
    if (!img) return img.error();
    t.images.push_back(std::move(*img));
  } else if (*type == "document") {
    if (auto p = only_in(kb::role::user)) return p;
    auto text = parse_document_block(**block, block_path);
    if (!text) return text.error();
    append_joined(t.text, *text, "\n");
  } else if (*type == "tool_use") {
    if (auto p = only_in(kb::role::assistant)) return p;
    auto call = parse_tool_use_block(**block, block_path);
    if (!call) return call.error();
    t.tool_calls.push_back(std::move(*call));
  } else if (*type == "tool_result") {
    if (auto p = only_in(kb::role::user)) return p;
    auto outcome = parse_tool_result_block(**block, block_path, refs);
    if (!outcome) return outcome.error();
    t.tool_outcomes.push_back(std::move(*outcome));
  } else if (*type == "thinking") {
    if (auto p = only_in(kb::role::assistant)) return p;
    const std::string thinking_path = join_path(block_path, "thinking");
    auto thinking_value = required_field(**block, "thinking", thinking_path);
    if (!thinking_value) return thinking_value.error();
    auto thinking = as_string(**thinking_value, thinking_path);
    if (!thinking) return thinking.error();
    append_joined(t.thinking, *thinking, "\n");
  } else if (*type == "redacted_thinking") {
    // Encrypted for Anthropic's models only; nothing Kiro could read.
    if (auto p = only_in(kb::role::assistant)) return p;
  } else if (!contains(server_side_block_types, *type)) {
    return unknown_block_type(block_path, *type);
  }
  return std::nullopt;
}

api_error content_type_error(std::string_view content_path) {
  return field_error(content_path, "Input should be a valid string or a list of content blocks");
}

} // namespace

bool is_empty_content(const json::value& content) {
  if (const auto* s = content.if_string()) return s->empty();
  if (const auto* a = content.if_array()) return a->empty();
  return false;
}

result<turn> parse_turn_content(const json::value& content, kb::role role,
                                std::string_view content_path,
                                std::vector<image_block_ref>* images) {
  turn t;
  t.role = role;
  if (const auto* text = content.if_string()) {
    t.text.assign(text->data(), text->size());
    return t;
  }
  const auto* blocks = content.if_array();
  if (blocks == nullptr) return content_type_error(content_path);
  for (std::size_t i = 0; i < blocks->size(); ++i)
    if (auto p = add_block((*blocks)[i], join_path(content_path, i), t, images)) return *p;
  return t;
}

result<std::string> parse_system_content(const json::value& content,
                                         std::string_view content_path) {
  if (const auto* text = content.if_string()) return std::string(text->data(), text->size());
  const auto* blocks = content.if_array();
  if (blocks == nullptr) return content_type_error(content_path);
  std::string out;
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    const std::string block_path = join_path(content_path, i);
    auto block = as_object((*blocks)[i], block_path);
    if (!block) return block.error();
    auto type = block_type(**block, block_path);
    if (!type) return type.error();
    if (*type != "text")
      return field_error(join_path(block_path, "type"),
                         "system messages may only contain text blocks");
    auto text = parse_text_block(**block, block_path);
    if (!text) return text.error();
    append_joined(out, *text, "\n\n");
  }
  return out;
}

} // namespace kb::claude
