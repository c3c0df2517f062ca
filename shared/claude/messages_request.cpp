#include "shared/claude/messages_request.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <unordered_set>

#include "shared/claude/image_limits.hpp"
#include "shared/claude/json_field.hpp"
#include "shared/claude/message_content.hpp"
#include "shared/claude/session_id.hpp"

namespace kb::claude {

namespace json = boost::json;

namespace {

enum class body_kind { messages, count_tokens };

constexpr int64_t int32_max = std::numeric_limits<int32_t>::max();
constexpr std::size_t max_tool_name_length = 256;
constexpr int64_t min_thinking_budget = 1024;

void append_joined(std::string& out, std::string_view piece, std::string_view separator) {
  if (piece.empty()) return;
  if (!out.empty()) out += separator;
  out += piece;
}

problem read_model(const json::object& body, conversation& conv) {
  auto model = required_non_empty_string(body, "model", "model");
  if (!model) return model.error();
  conv.model = *model;
  return std::nullopt;
}

problem read_max_tokens(const json::object& body, conversation& conv) {
  auto value = required_field(body, "max_tokens", "max_tokens");
  if (!value) return value.error();
  auto max_tokens = as_integer(**value, "max_tokens", 1, int32_max);
  if (!max_tokens) return max_tokens.error();
  conv.max_tokens = static_cast<int32_t>(*max_tokens);
  return std::nullopt;
}

/// Claude Code's first system block is billing metadata for Anthropic's
/// servers, not an instruction; it changes with every release.
bool is_billing_header(std::string_view text) {
  return text.starts_with("x-anthropic-billing-header:");
}

result<std::string> read_system(const json::object& body) {
  const auto* system = optional_field(body, "system");
  if (system == nullptr) return std::string();
  if (const auto* text = system->if_string()) return std::string(text->data(), text->size());
  const auto* blocks = system->if_array();
  if (blocks == nullptr)
    return field_error("system", "Input should be a valid string or a list of text blocks");
  std::string out;
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    const std::string block_path = join_path("system", i);
    auto block = as_object((*blocks)[i], block_path);
    if (!block) return block.error();
    auto type = block_type(**block, block_path);
    if (!type) return type.error();
    if (*type != "text") return field_error(join_path(block_path, "type"), "Input should be 'text'");
    const std::string text_path = join_path(block_path, "text");
    auto text_value = required_field(**block, "text", text_path);
    if (!text_value) return text_value.error();
    auto text = as_string(**text_value, text_path);
    if (!text) return text.error();
    if (!is_billing_header(*text)) append_joined(out, *text, "\n\n");
  }
  return out;
}

api_error empty_message(std::size_t index) {
  return field_error(join_path("messages", index),
                     "all messages must have non-empty content except for the optional final "
                     "assistant message");
}

/// The images of the trailing run of user messages (the turn Kiro gets as
/// its current message) must meet the limits: unlike history images, which
/// the Kiro builder can drop, they are what the client asks about now.
problem check_current_images(const std::vector<image_block_ref>& images) {
  if (images.size() > max_images_per_request)
    return invalid_request("messages: too many images in the last user turn: " +
                           std::to_string(images.size()) + " > " +
                           std::to_string(max_images_per_request) +
                           " (Kiro accepts at most 100 images per request)");
  for (const auto& ref : images) {
    std::string why = image_limit_problem(ref.base64.size(), image_size_base64(ref.base64),
                                          images.size());
    if (!why.empty()) return field_error(ref.data_path, why);
  }
  return std::nullopt;
}

/// Turns in order; the text of `role:"system"` entries is folded into
/// `conv.system` after the top-level system prompt.
problem read_messages(const json::object& body, conversation& conv) {
  auto value = required_field(body, "messages", "messages");
  if (!value) return value.error();
  auto messages = as_array(**value, "messages");
  if (!messages) return messages.error();
  if ((*messages)->empty()) return invalid_request("messages: at least one message is required");

  std::optional<std::size_t> empty_assistant; // allowed only as the final turn
  std::vector<image_block_ref> current_images;  // of the user messages since the last assistant
  for (std::size_t i = 0; i < (*messages)->size(); ++i) {
    const std::string path = join_path("messages", i);
    auto message = as_object((**messages)[i], path);
    if (!message) return message.error();

    const std::string role_path = join_path(path, "role");
    auto role_value = required_field(**message, "role", role_path);
    if (!role_value) return role_value.error();
    const auto* role = (*role_value)->if_string();
    const bool is_user = role != nullptr && *role == "user";
    const bool is_assistant = role != nullptr && *role == "assistant";
    const bool is_system = role != nullptr && *role == "system";
    if (!is_user && !is_assistant && !is_system)
      return field_error(role_path, "Input should be 'user', 'assistant' or 'system'");

    const std::string content_path = join_path(path, "content");
    auto content = required_field(**message, "content", content_path);
    if (!content) return content.error();

    if (is_system) {
      auto text = parse_system_content(**content, content_path);
      if (!text) return text.error();
      append_joined(conv.system, *text, "\n\n");
      continue;
    }
    if (empty_assistant) return empty_message(*empty_assistant);
    if (is_empty_content(**content)) {
      if (is_user) return empty_message(i);
      empty_assistant = i;
    }
    if (is_assistant) current_images.clear();
    auto t = parse_turn_content(**content, is_user ? role::user : role::assistant, content_path,
                                is_user ? &current_images : nullptr);
    if (!t) return t.error();
    conv.turns.push_back(std::move(*t));
  }
  if (conv.turns.empty())
    return invalid_request("messages: at least one user or assistant message is required");
  return check_current_images(current_images);
}

/// Anthropic's own tools that Kiro cannot run: dropped from the tool list.
bool is_unrunnable_server_tool(std::string_view type) {
  return type.starts_with("web_search") || type.starts_with("web_fetch");
}

bool is_tool_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == ':';
}

result<std::string_view> read_tool_name(const json::object& tool, std::string_view tool_path) {
  const std::string name_path = join_path(tool_path, "name");
  auto name = required_non_empty_string(tool, "name", name_path);
  if (!name) return name.error();
  if (name->size() > max_tool_name_length)
    return field_error(name_path, "String should have at most 256 characters");
  if (!std::all_of(name->begin(), name->end(), is_tool_name_char))
    return field_error(name_path, "String should match pattern '^[a-zA-Z0-9_.:-]{1,256}$'");
  return name;
}

/// One entry of `tools`; an empty name means "dropped". Server tools
/// (`bash_20250124`, `text_editor_*`, ...) carry no schema: they are kept
/// with the permissive `{"type":"object"}` so the model can still call them.
result<tool_spec> read_tool(const json::object& tool, std::string_view tool_path) {
  bool server_tool = false;
  if (const auto* type_value = optional_field(tool, "type")) {
    auto type = as_string(*type_value, join_path(tool_path, "type"));
    if (!type) return type.error();
    if (is_unrunnable_server_tool(*type)) return tool_spec{};
    server_tool = *type != "custom";
  }
  auto name = read_tool_name(tool, tool_path);
  if (!name) return name.error();
  tool_spec spec;
  spec.name = *name;
  if (const auto* description = optional_field(tool, "description")) {
    auto text = as_string(*description, join_path(tool_path, "description"));
    if (!text) return text.error();
    spec.description = *text;
  }
  const std::string schema_path = join_path(tool_path, "input_schema");
  const auto* schema_value = optional_field(tool, "input_schema");
  if (schema_value == nullptr && server_tool) {
    spec.input_schema_json = R"({"type":"object"})";
    return spec;
  }
  if (schema_value == nullptr) return field_error(schema_path, "Field required");
  auto schema = as_object(*schema_value, schema_path);
  if (!schema) return schema.error();
  spec.input_schema_json = json::serialize(**schema);
  return spec;
}

problem read_tools(const json::object& body, conversation& conv) {
  const auto* value = optional_field(body, "tools");
  if (value == nullptr) return std::nullopt;
  auto tools = as_array(*value, "tools");
  if (!tools) return tools.error();
  std::unordered_set<std::string> names;
  for (std::size_t i = 0; i < (*tools)->size(); ++i) {
    const std::string path = join_path("tools", i);
    auto tool = as_object((**tools)[i], path);
    if (!tool) return tool.error();
    auto spec = read_tool(**tool, path);
    if (!spec) return spec.error();
    if (spec->name.empty()) continue;
    if (!names.insert(spec->name).second)
      return field_error(join_path(path, "name"), "duplicate tool name '" + spec->name + "'");
    conv.tools.push_back(std::move(*spec));
  }
  return std::nullopt;
}

problem read_tool_choice(const json::object& body, conversation& conv) {
  const auto* value = optional_field(body, "tool_choice");
  if (value == nullptr) return std::nullopt;
  auto choice = as_object(*value, "tool_choice");
  if (!choice) return choice.error();
  auto type_value = required_field(**choice, "type", "tool_choice.type");
  if (!type_value) return type_value.error();
  const auto* type = (*type_value)->if_string();
  if (type != nullptr && *type == "auto") {
    conv.tool_choice = tool_choice_mode::auto_;
  } else if (type != nullptr && *type == "any") {
    conv.tool_choice = tool_choice_mode::any;
  } else if (type != nullptr && *type == "none") {
    conv.tool_choice = tool_choice_mode::none;
  } else if (type != nullptr && *type == "tool") {
    auto name = required_non_empty_string(**choice, "name", "tool_choice.name");
    if (!name) return name.error();
    conv.tool_choice = tool_choice_mode::tool;
    conv.tool_choice_name = *name;
  } else {
    return field_error("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'");
  }
  if (const auto* flag = optional_field(**choice, "disable_parallel_tool_use")) {
    auto parsed = as_bool(*flag, "tool_choice.disable_parallel_tool_use");
    if (!parsed) return parsed.error();
  }
  return std::nullopt;
}

/// `output_config.effort` for adaptive thinking. Kiro's emulation knows
/// low/medium/high; stronger levels ("max", ...) map to "high" so new Claude
/// Code versions keep working.
result<std::string> read_effort(const json::object& body) {
  const auto* config_value = optional_field(body, "output_config");
  if (config_value == nullptr) return std::string("high");
  auto config = as_object(*config_value, "output_config");
  if (!config) return config.error();
  const auto* effort_value = optional_field(**config, "effort");
  if (effort_value == nullptr) return std::string("high");
  auto effort = as_string(*effort_value, "output_config.effort");
  if (!effort) return effort.error();
  if (*effort == "low" || *effort == "medium") return std::string(*effort);
  return std::string("high");
}

problem read_thinking(const json::object& body, body_kind kind, conversation& conv) {
  const auto* value = optional_field(body, "thinking");
  if (value == nullptr) return std::nullopt;
  auto thinking = as_object(*value, "thinking");
  if (!thinking) return thinking.error();
  auto type_value = required_field(**thinking, "type", "thinking.type");
  if (!type_value) return type_value.error();
  const auto* type = (*type_value)->if_string();
  if (type != nullptr && *type == "disabled") {
    conv.thinking = thinking_config{};
  } else if (type != nullptr && *type == "adaptive") {
    auto effort = read_effort(body);
    if (!effort) return effort.error();
    conv.thinking = thinking_config{thinking_mode::adaptive, 0, std::move(*effort)};
  } else if (type != nullptr && *type == "enabled") {
    auto budget_value = required_field(**thinking, "budget_tokens", "thinking.budget_tokens");
    if (!budget_value) return budget_value.error();
    auto budget = as_integer(**budget_value, "thinking.budget_tokens", 0, int32_max);
    if (!budget) return budget.error();
    if (kind == body_kind::messages && (*budget < min_thinking_budget || *budget >= conv.max_tokens))
      return field_error("thinking.budget_tokens",
                         "must be at least 1024 and less than max_tokens");
    if (kind == body_kind::count_tokens && *budget < min_thinking_budget)
      return field_error("thinking.budget_tokens", "must be at least 1024");
    conv.thinking = thinking_config{thinking_mode::enabled, static_cast<int32_t>(*budget), {}};
  } else {
    return field_error("thinking.type", "Input should be 'enabled', 'disabled' or 'adaptive'");
  }
  return std::nullopt;
}

problem read_stop_sequences(const json::object& body, conversation& conv) {
  const auto* value = optional_field(body, "stop_sequences");
  if (value == nullptr) return std::nullopt;
  auto sequences = as_array(*value, "stop_sequences");
  if (!sequences) return sequences.error();
  for (std::size_t i = 0; i < (*sequences)->size(); ++i) {
    auto sequence = as_non_empty_string((**sequences)[i], join_path("stop_sequences", i));
    if (!sequence) return sequence.error();
    conv.stop_sequences.emplace_back(*sequence);
  }
  return std::nullopt;
}

problem check_unit_interval(const json::object& body, std::string_view key) {
  const auto* value = optional_field(body, key);
  if (value == nullptr) return std::nullopt;
  auto number = as_number(*value, key);
  if (!number) return number.error();
  if (!(*number >= 0.0)) return field_error(key, "Input should be greater than or equal to 0");
  if (*number > 1.0) return field_error(key, "Input should be less than or equal to 1");
  return std::nullopt;
}

/// temperature, top_p and top_k are type-checked only: Kiro takes no
/// sampling parameters.
problem check_sampling(const json::object& body) {
  if (auto p = check_unit_interval(body, "temperature")) return p;
  if (auto p = check_unit_interval(body, "top_p")) return p;
  if (const auto* top_k = optional_field(body, "top_k")) {
    auto k = as_integer(*top_k, "top_k", 0, std::numeric_limits<int64_t>::max());
    if (!k) return k.error();
  }
  return std::nullopt;
}

problem read_stream(const json::object& body, conversation& conv) {
  const auto* value = optional_field(body, "stream");
  if (value == nullptr) return std::nullopt;
  auto stream = as_bool(*value, "stream");
  if (!stream) return stream.error();
  conv.stream = *stream;
  return std::nullopt;
}

problem read_metadata(const json::object& body, conversation& conv) {
  const auto* value = optional_field(body, "metadata");
  if (value == nullptr) return std::nullopt;
  auto metadata = as_object(*value, "metadata");
  if (!metadata) return metadata.error();
  const auto* user_id_value = optional_field(**metadata, "user_id");
  if (user_id_value == nullptr) return std::nullopt;
  auto user_id = as_string(*user_id_value, "metadata.user_id");
  if (!user_id) return user_id.error();
  conv.session_id = session_id_from_user_id(*user_id);
  return std::nullopt;
}

result<conversation> parse_request(std::string_view text, body_kind kind) {
  auto document = parse_json(text);
  if (!document) return document.error();
  const auto* body = document->if_object();
  if (body == nullptr) return invalid_request("body: must be a JSON object");

  conversation conv;
  if (auto p = read_model(*body, conv)) return *p;
  if (kind == body_kind::messages) {
    if (auto p = read_max_tokens(*body, conv)) return *p;
  }
  auto system = read_system(*body);
  if (!system) return system.error();
  conv.system = std::move(*system);
  if (auto p = read_messages(*body, conv)) return *p;
  if (auto p = read_tools(*body, conv)) return *p;
  if (auto p = read_tool_choice(*body, conv)) return *p;
  if (auto p = read_thinking(*body, kind, conv)) return *p;
  if (auto p = read_stop_sequences(*body, conv)) return *p;
  if (auto p = check_sampling(*body)) return *p;
  if (kind == body_kind::messages) {
    if (auto p = read_stream(*body, conv)) return *p;
  }
  if (auto p = read_metadata(*body, conv)) return *p;
  return conv;
}

} // namespace

result<conversation> parse_messages_request(std::string_view body) {
  return parse_request(body, body_kind::messages);
}

result<conversation> parse_count_tokens_request(std::string_view body) {
  return parse_request(body, body_kind::count_tokens);
}

} // namespace kb::claude
