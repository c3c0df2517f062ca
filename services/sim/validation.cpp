#include "services/sim/validation.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include <boost/json.hpp>

#include "services/sim/models.hpp"
#include "shared/claude/image_limits.hpp"

namespace kb::sim {

namespace json = boost::json;

namespace {

constexpr size_t max_tool_name_chars = 64;
constexpr size_t max_tool_description_bytes = 10'240;

/// Internal failure carried out of the checks; converted to a result at the top.
struct rejection {
  verdict outcome;
  std::string reason;
  std::string detail;
  std::string kiro_message = {};
};

/// One image of the request, for the limits that count them all.
struct image_fact {
  std::string where;
  size_t base64_bytes = 0;
  std::optional<claude::pixel_size> size;
};

using check = std::optional<rejection>;

rejection malformed(std::string reason, std::string detail) {
  return {verdict::malformed, std::move(reason), std::move(detail)};
}

const json::object* object_at(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  return v ? v->if_object() : nullptr;
}

const json::array* array_at(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  return v ? v->if_array() : nullptr;
}

const json::string* string_at(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  return v ? v->if_string() : nullptr;
}

bool non_empty_string_at(const json::object& obj, std::string_view key) {
  auto* s = string_at(obj, key);
  return s && !s->empty();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

size_t utf8_chars(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

check check_images(const json::object& uim, const std::string& where,
                   std::vector<image_fact>& facts) {
  auto* images = uim.if_contains("images");
  if (!images)
    return {};
  if (!images->is_array())
    return malformed("image_malformed", where + ".images is not an array");
  static const std::set<std::string_view> formats{"png", "jpeg", "gif", "webp"};
  size_t i = 0;
  for (const auto& img : images->get_array()) {
    std::string at = where + ".images[" + std::to_string(i++) + "]";
    auto* obj = img.if_object();
    if (!obj)
      return malformed("image_malformed", at + " is not an object");
    auto* format = string_at(*obj, "format");
    if (!format || !formats.contains(std::string_view(*format)))
      return malformed("image_format_invalid", at + ".format is not png/jpeg/gif/webp");
    auto* source = object_at(*obj, "source");
    auto* bytes = source ? string_at(*source, "bytes") : nullptr;
    if (!bytes || !is_base64(*bytes))
      return malformed("image_bytes_invalid", at + ".source.bytes is not base64");
    facts.push_back({at, bytes->size(), claude::image_size_base64(*bytes)});
  }
  return {};
}

std::string pixels(const claude::pixel_size& size) {
  return std::to_string(size.width) + "x" + std::to_string(size.height);
}

/// Kiro's image limits over the whole request (shared/claude/image_limits.hpp
/// has the sources). Kiro's messages are quoted from its users' reports.
check check_image_limits(const std::vector<image_fact>& images) {
  auto reject = [](std::string reason, std::string detail, std::string message) {
    return rejection{verdict::malformed, std::move(reason), std::move(detail),
                     std::move(message)};
  };
  if (images.size() > claude::max_images_per_request)
    return reject("too_many_images",
                  std::to_string(images.size()) + " images, above " +
                      std::to_string(claude::max_images_per_request),
                  "too many images and documents: " + std::to_string(images.size()) +
                      " + 0 > " + std::to_string(claude::max_images_per_request));
  for (const auto& img : images) {
    if (img.base64_bytes > claude::max_image_base64_bytes)
      return reject("image_too_large",
                    img.where + " has " + std::to_string(img.base64_bytes) +
                        " bytes of base64",
                    "image exceeds 5 MB maximum: " + std::to_string(img.base64_bytes) +
                        " bytes > " + std::to_string(claude::max_image_base64_bytes) +
                        " bytes");
    if (!img.size)
      continue;
    uint32_t longest = std::max(img.size->width, img.size->height);
    if (longest > claude::max_image_side)
      return reject("image_dimensions_too_large", img.where + " is " + pixels(*img.size),
                    "image dimensions exceed max allowed size: " +
                        std::to_string(claude::max_image_side) + " pixels");
    if (images.size() > claude::many_image_threshold && longest > claude::max_many_image_side)
      return reject("image_many_dimensions_too_large",
                    img.where + " is " + pixels(*img.size) + " in a request of " +
                        std::to_string(images.size()) + " images",
                    "At least one of the image dimensions exceed max allowed size for "
                    "many-image requests: " +
                        std::to_string(claude::max_many_image_side) + " pixels");
  }
  return {};
}

bool is_data_keyword(std::string_view key) {
  return key == "enum" || key == "const" || key == "default" || key == "examples";
}

/// The path of the first `$`-prefixed key of a tool schema: keywords and
/// property names alike, values of data keywords aside. The root `$schema`
/// passes: kiro.rs forwards Claude Code's (every tool has one) and works.
std::optional<std::string> dollar_key_in(const json::value& v, const std::string& path,
                                         bool root) {
  if (auto* obj = v.if_object()) {
    for (const auto& [key, child] : *obj) {
      std::string here = path.empty() ? std::string(key) : path + "." + std::string(key);
      if (key.starts_with('$') && !(root && key == "$schema"))
        return here;
      if (is_data_keyword(key))
        continue;
      if (auto found = dollar_key_in(child, here, false))
        return found;
    }
  } else if (auto* arr = v.if_array()) {
    size_t i = 0;
    for (const auto& child : *arr)
      if (auto found = dollar_key_in(child, path + "[" + std::to_string(i++) + "]", false))
        return found;
  }
  return std::nullopt;
}

check check_tool_spec(const json::value& tool, const std::string& at,
                      std::vector<std::string>& names) {
  auto* obj = tool.if_object();
  auto* spec = obj ? object_at(*obj, "toolSpecification") : nullptr;
  if (!spec)
    return malformed("tool_spec_malformed", at + " has no toolSpecification object");
  auto* name = string_at(*spec, "name");
  if (!name || name->empty())
    return malformed("tool_name_empty", at + ".name is missing or empty");
  if (utf8_chars(*name) > max_tool_name_chars)
    return malformed("tool_name_too_long", at + ".name is longer than 64 characters");
  if (auto* desc = spec->if_contains("description")) {
    if (!desc->is_string())
      return malformed("tool_spec_malformed", at + ".description is not a string");
    if (desc->get_string().size() > max_tool_description_bytes)
      return malformed("tool_description_too_long", at + ".description exceeds 10240 bytes");
  }
  auto* schema = object_at(*spec, "inputSchema");
  auto* schema_json = schema ? schema->if_contains("json") : nullptr;
  if (!schema_json || !schema_json->is_object())
    return malformed("tool_schema_not_object", at + ".inputSchema.json is not an object");
  if (auto key = dollar_key_in(*schema_json, "", true))
    return malformed("tool_schema_dollar_key",
                     at + ".inputSchema.json." + *key + " starts with $");
  names.emplace_back(*name);
  return {};
}

check check_tool_results(const json::array& results, const std::string& at,
                         const std::set<std::string>& offered_ids) {
  size_t i = 0;
  for (const auto& r : results) {
    std::string here = at + ".toolResults[" + std::to_string(i++) + "]";
    auto* obj = r.if_object();
    if (!obj)
      return malformed("tool_result_malformed", here + " is not an object");
    auto* id = string_at(*obj, "toolUseId");
    if (!id || id->empty())
      return malformed("tool_result_malformed", here + ".toolUseId is missing");
    auto* content = array_at(*obj, "content");
    if (!content)
      return malformed("tool_result_malformed", here + ".content is not an array");
    for (const auto& block : *content) {
      auto* b = block.if_object();
      if (!b || !(b->contains("text") || b->contains("json")))
        return malformed("tool_result_malformed", here + ".content has a block without text/json");
    }
    auto* status = string_at(*obj, "status");
    if (status && *status != "success" && *status != "error")
      return malformed("tool_result_malformed", here + ".status is not success/error");
    if (!offered_ids.contains(std::string(*id)))
      return malformed("tool_result_without_tool_use",
                       here + " references " + std::string(*id) +
                           ", which the preceding assistant message did not use");
  }
  return {};
}

/// Tool use ids and names of one assistant message.
struct assistant_tools {
  std::set<std::string> ids;
  std::vector<std::string> names;
};

check collect_tool_uses(const json::object& arm, const std::string& at, assistant_tools& out) {
  auto* uses = arm.if_contains("toolUses");
  if (!uses)
    return {};
  if (!uses->is_array())
    return malformed("tool_use_malformed", at + ".toolUses is not an array");
  size_t i = 0;
  for (const auto& u : uses->get_array()) {
    std::string here = at + ".toolUses[" + std::to_string(i++) + "]";
    auto* obj = u.if_object();
    if (!obj || !non_empty_string_at(*obj, "toolUseId") || !non_empty_string_at(*obj, "name"))
      return malformed("tool_use_malformed", here + " needs toolUseId and name");
    auto* input = obj->if_contains("input");
    if (!input || !input->is_object())
      return malformed("tool_use_malformed", here + ".input is not an object");
    out.ids.emplace(string_at(*obj, "toolUseId")->c_str());
    out.names.emplace_back(string_at(*obj, "name")->c_str());
  }
  return {};
}

std::string first_result_text(const json::array& results) {
  for (const auto& r : results) {
    auto* obj = r.if_object();
    auto* content = obj ? array_at(*obj, "content") : nullptr;
    if (!content)
      continue;
    for (const auto& block : *content) {
      auto* b = block.if_object();
      if (!b)
        continue;
      if (auto* text = string_at(*b, "text"))
        return std::string(*text);
      if (auto* j = b->if_contains("json"))
        return json::serialize(*j);
    }
  }
  return {};
}

struct walk_state {
  request_summary& summary;
  std::vector<std::string> history_tool_names;
  assistant_tools last_assistant;
  std::vector<image_fact> images;
};

check check_history(const json::array& history, walk_state& st) {
  bool expect_user = true;
  size_t i = 0;
  for (const auto& entry : history) {
    std::string at = "history[" + std::to_string(i++) + "]";
    auto* obj = entry.if_object();
    if (!obj)
      return malformed("history_entry_malformed", at + " is not an object");
    auto* user = object_at(*obj, "userInputMessage");
    auto* assistant = object_at(*obj, "assistantResponseMessage");
    if (obj->size() != 1 || (user == nullptr) == (assistant == nullptr))
      return malformed("history_entry_malformed",
                       at + " must hold exactly one of userInputMessage/assistantResponseMessage");
    if (i == 1 && !user)
      return malformed("history_must_start_with_user", at + " is an assistant message");
    if ((user != nullptr) != expect_user)
      return malformed("history_not_alternating",
                       at + " repeats the role of the message before it");
    const json::object& msg = user ? *user : *assistant;
    if (!non_empty_string_at(msg, "content"))
      return malformed("history_empty_content", at + " has missing or empty content");
    if (user) {
      if (auto* ctx = object_at(*user, "userInputMessageContext")) {
        if (ctx->contains("tools"))
          return malformed("tools_in_history", at + " carries tools (only currentMessage may)");
        if (auto* results = ctx->if_contains("toolResults")) {
          if (!results->is_array())
            return malformed("tool_result_malformed", at + ".toolResults is not an array");
          if (auto err = check_tool_results(results->get_array(), at, st.last_assistant.ids))
            return err;
        }
      }
      if (auto err = check_images(*user, at, st.images))
        return err;
      st.last_assistant = {};
    } else {
      assistant_tools tools;
      if (auto err = collect_tool_uses(*assistant, at, tools))
        return err;
      st.history_tool_names.insert(st.history_tool_names.end(), tools.names.begin(),
                                   tools.names.end());
      st.last_assistant = std::move(tools);
    }
    expect_user = !expect_user;
  }
  if (!history.empty() && expect_user == false)
    return malformed("history_must_end_with_assistant", "the last history entry is a user message");
  return {};
}

check check_current(const json::object& uim, walk_state& st) {
  request_summary& s = st.summary;
  auto* content = string_at(uim, "content");
  if (!content || content->empty())
    return malformed("current_content_empty", "currentMessage content is missing or empty");
  s.content = std::string(*content);
  auto* model = string_at(uim, "modelId");
  if (!model || !is_known_model(*model))
    return rejection{verdict::invalid_model, "invalid_model_id",
                     model ? "unknown modelId " + std::string(*model) : "modelId is missing"};
  s.model_id = std::string(*model);
  if (!non_empty_string_at(uim, "origin"))
    return malformed("origin_missing", "currentMessage origin is missing");
  if (auto err = check_images(uim, "currentMessage", st.images))
    return err;
  auto* ctx_value = uim.if_contains("userInputMessageContext");
  if (ctx_value && !ctx_value->is_object())
    return malformed("context_malformed", "userInputMessageContext is not an object");
  if (ctx_value) {
    const auto& ctx = ctx_value->get_object();
    if (auto* tools = ctx.if_contains("tools")) {
      if (!tools->is_array())
        return malformed("tool_spec_malformed", "currentMessage tools is not an array");
      size_t i = 0;
      for (const auto& t : tools->get_array())
        if (auto err = check_tool_spec(t, "tools[" + std::to_string(i++) + "]", s.tool_names))
          return err;
      s.has_tools = !s.tool_names.empty();
    }
    if (auto* results = ctx.if_contains("toolResults")) {
      if (!results->is_array())
        return malformed("tool_result_malformed", "currentMessage toolResults is not an array");
      if (auto err = check_tool_results(results->get_array(), "currentMessage",
                                        st.last_assistant.ids))
        return err;
      s.has_tool_results = !results->get_array().empty();
      s.first_tool_result_text = first_result_text(results->get_array());
    }
  }
  std::set<std::string> declared;
  for (const auto& n : s.tool_names)
    declared.insert(lower(n));
  for (const auto& used : st.history_tool_names)
    if (!declared.contains(lower(used)))
      return malformed("tool_not_declared",
                       "history uses tool " + used + ", which currentMessage tools lacks");
  return {};
}

check check_body(const json::object& root, walk_state& st) {
  auto* state = object_at(root, "conversationState");
  if (!state)
    return malformed("conversation_state_missing", "conversationState is not an object");
  if (!non_empty_string_at(*state, "conversationId"))
    return malformed("conversation_id_missing", "conversationId is missing or empty");
  st.summary.conversation_id = string_at(*state, "conversationId")->c_str();
  // SDK ConversationState.agentContinuationId: a string (kiro.rs sends a
  // fresh UUID per request).
  if (auto* continuation = state->if_contains("agentContinuationId")) {
    if (!continuation->is_string() || continuation->get_string().empty())
      return malformed("agent_continuation_id_invalid",
                       "agentContinuationId is not a non-empty string");
    st.summary.agent_continuation_id = continuation->get_string().c_str();
  }
  auto* trigger = string_at(*state, "chatTriggerType");
  if (!trigger || (*trigger != "MANUAL" && *trigger != "DIAGNOSTIC" && *trigger != "INLINE_CHAT"))
    return malformed("chat_trigger_type_invalid",
                     "chatTriggerType is not MANUAL, DIAGNOSTIC or INLINE_CHAT");
  auto* current = object_at(*state, "currentMessage");
  auto* uim = current ? object_at(*current, "userInputMessage") : nullptr;
  if (!uim)
    return malformed("current_message_missing", "currentMessage.userInputMessage is missing");
  if (auto* history = state->if_contains("history")) {
    if (!history->is_array())
      return malformed("history_malformed", "history is not an array");
    st.summary.history_length = history->get_array().size();
    if (auto err = check_history(history->get_array(), st))
      return err;
  }
  return check_current(*uim, st);
}

} // namespace

std::string_view to_string(verdict v) noexcept {
  switch (v) {
  case verdict::accepted: return "accepted";
  case verdict::malformed: return "malformed";
  case verdict::invalid_model: return "invalid_model";
  case verdict::input_too_long: return "input_too_long";
  case verdict::bearer_rejected: return "bearer_rejected";
  case verdict::profile_required: return "profile_required";
  }
  return "unknown";
}

int64_t estimate_tokens(size_t body_bytes) noexcept {
  return static_cast<int64_t>((body_bytes + 3) / 4);
}

int64_t image_tokens(size_t width, size_t height) noexcept {
  return static_cast<int64_t>((width * height + 749) / 750);
}

bool is_base64(std::string_view s) noexcept {
  if (s.empty() || s.size() % 4 != 0)
    return false;
  size_t padding = 0;
  if (s.back() == '=')
    padding = s[s.size() - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i < s.size() - padding; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '+' && c != '/')
      return false;
  }
  return true;
}

validation_result validate_request(std::string_view body, const validation_context& ctx) {
  validation_result out;
  auto reject = [&out](rejection r) {
    out.outcome = r.outcome;
    out.reason = std::move(r.reason);
    out.detail = std::move(r.detail);
    out.kiro_message = std::move(r.kiro_message);
    return std::move(out);
  };
  out.summary.estimated_input_tokens = estimate_tokens(body.size());
  // Over the limit Kiro answers "Input is too long." /
  // CONTENT_LENGTH_EXCEEDS_THRESHOLD (it answered "Improperly formed
  // request." while the limit was ~615 KB).
  if (body.size() > ctx.max_body_bytes)
    return reject({verdict::input_too_long, "body_too_large",
                   "body is " + std::to_string(body.size()) + " bytes, above " +
                       std::to_string(ctx.max_body_bytes)});
  json::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object())
    return reject(malformed("invalid_json", ec ? "body is not JSON: " + ec.message()
                                               : "body is not a JSON object"));
  const auto& obj = root.get_object();
  out.summary.has_profile_arn = obj.contains("profileArn");
  const auto* arn = obj.if_contains("profileArn");
  // Builder ID has no profile: an ARN makes Kiro call the bearer invalid
  // (kiro.rs #161 / PR #168). Enterprise IdC needs its own (AIClient-2-API
  // #605; another profile's → "Invalid token", nianzs/sub2api #105).
  if (ctx.kind == account_kind::builder_id && out.summary.has_profile_arn)
    return reject({verdict::bearer_rejected, "profile_arn_with_builder_id",
                   "a Builder ID token was sent together with profileArn"});
  if (ctx.kind == account_kind::enterprise && !out.summary.has_profile_arn)
    return reject({verdict::profile_required, "profile_arn_missing",
                   "an enterprise IdC token was sent without profileArn"});
  if (ctx.kind == account_kind::enterprise &&
      (!arn->is_string() || arn->get_string() != ctx.profile_arn))
    return reject({verdict::bearer_rejected, "profile_arn_foreign",
                   "an enterprise IdC token was sent with another profile's ARN"});
  walk_state st{out.summary, {}, {}, {}};
  if (auto err = check_body(obj, st))
    return reject(std::move(*err));
  if (auto err = check_image_limits(st.images))
    return reject(std::move(*err));
  // An image costs tokens by its pixels, not by the length of its base64
  // (an image whose header cannot be read stays counted by its bytes).
  out.summary.image_count = st.images.size();
  size_t pixel_counted_bytes = 0;
  int64_t image_cost = 0;
  for (const auto& img : st.images) {
    if (!img.size)
      continue;
    pixel_counted_bytes += img.base64_bytes;
    image_cost += image_tokens(img.size->width, img.size->height);
  }
  out.summary.estimated_input_tokens =
      estimate_tokens(body.size() - pixel_counted_bytes) + image_cost;
  if (out.summary.estimated_input_tokens > ctx.max_input_tokens)
    return reject({verdict::input_too_long, "input_too_long",
                   "estimated " + std::to_string(out.summary.estimated_input_tokens) +
                       " input tokens, above " + std::to_string(ctx.max_input_tokens)});
  return out;
}

} // namespace kb::sim
