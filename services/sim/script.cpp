#include "services/sim/script.hpp"

#include <array>
#include <limits>
#include <utility>

#include <boost/json.hpp>

namespace kb::sim {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<std::string_view, response_kind>, 17> kind_names{{
    {"text", response_kind::text},
    {"tool", response_kind::tool},
    {"thinking", response_kind::thinking},
    {"bracket", response_kind::bracket},
    {"quota", response_kind::quota},
    {"throttle", response_kind::throttle},
    {"invalid_bearer", response_kind::invalid_bearer},
    {"suspended", response_kind::suspended},
    {"access_denied", response_kind::access_denied},
    {"server_error", response_kind::server_error},
    {"input_too_long", response_kind::input_too_long},
    {"exception", response_kind::exception},
    {"drop", response_kind::drop},
    {"slow", response_kind::slow},
    {"cut_tool", response_kind::cut_tool},
    {"reasoning", response_kind::reasoning},
    {"invalid_state", response_kind::invalid_state},
}};

api_error field_error(std::string_view key, std::string_view expected) {
  return invalid_request("script field `" + std::string(key) + "` must be " +
                         std::string(expected));
}

/// Reads an optional string field into `out`.
std::optional<api_error> read_string(const json::object& obj, std::string_view key,
                                     std::string& out) {
  auto* v = obj.if_contains(key);
  if (!v || v->is_null())
    return std::nullopt;
  if (!v->is_string())
    return field_error(key, "a string");
  out = std::string(v->get_string());
  return std::nullopt;
}

template <class Int>
std::optional<api_error> read_int(const json::object& obj, std::string_view key, Int& out,
                                  int64_t min) {
  auto* v = obj.if_contains(key);
  if (!v || v->is_null())
    return std::nullopt;
  int64_t n = 0;
  if (v->is_int64())
    n = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() < (1ULL << 62))
    n = static_cast<int64_t>(v->get_uint64());
  else
    return field_error(key, "an integer");
  if (n < min || n > static_cast<int64_t>(std::numeric_limits<Int>::max()))
    return field_error(key, "an integer >= " + std::to_string(min));
  out = static_cast<Int>(n);
  return std::nullopt;
}

std::optional<api_error> read_optional_string(const json::object& obj, std::string_view key,
                                              std::optional<std::string>& out) {
  auto* v = obj.if_contains(key);
  if (!v || v->is_null())
    return std::nullopt;
  if (!v->is_string())
    return field_error(key, "a string");
  out = std::string(v->get_string());
  return std::nullopt;
}

std::optional<api_error> read_optional_bool(const json::object& obj, std::string_view key,
                                            std::optional<bool>& out) {
  auto* v = obj.if_contains(key);
  if (!v || v->is_null())
    return std::nullopt;
  if (!v->is_bool())
    return field_error(key, "a boolean");
  out = v->get_bool();
  return std::nullopt;
}

result<scripted_tool> parse_tool(const json::object& obj) {
  scripted_tool tool;
  if (auto err = read_string(obj, "name", tool.name))
    return *err;
  if (tool.name.empty())
    return invalid_request("a scripted tool needs a non-empty `name`");
  if (auto* input = obj.if_contains("input"); input && !input->is_null()) {
    if (!input->is_object())
      return field_error("input", "an object");
    tool.input_json = json::serialize(*input);
  }
  if (auto err = read_int(obj, "fragments", tool.fragments, 1))
    return *err;
  return tool;
}

result<scripted_token_usage> parse_token_usage(const json::value& v) {
  if (!v.is_object())
    return field_error("tokenUsage", "an object");
  const auto& obj = v.get_object();
  scripted_token_usage usage;
  if (auto err = read_int(obj, "uncachedInputTokens", usage.uncached_input_tokens, 0))
    return *err;
  if (auto err = read_int(obj, "outputTokens", usage.output_tokens, 0))
    return *err;
  for (auto [key, out] : {std::pair{"cacheReadInputTokens", &usage.cache_read_input_tokens},
                          std::pair{"cacheWriteInputTokens", &usage.cache_write_input_tokens}}) {
    if (!obj.contains(key))
      continue;
    int64_t n = 0;
    if (auto err = read_int(obj, key, n, 0))
      return *err;
    *out = n;
  }
  return usage;
}

} // namespace

std::string_view to_string(response_kind k) noexcept {
  for (const auto& [name, kind] : kind_names)
    if (kind == k)
      return name;
  return "text";
}

result<response_spec> parse_response(const json::value& v) {
  auto* obj = v.if_object();
  if (!obj)
    return invalid_request("`response` must be an object");
  response_spec spec;
  std::string kind = "text";
  if (auto err = read_string(*obj, "kind", kind))
    return *err;
  bool known = false;
  for (const auto& [name, k] : kind_names)
    if (name == kind) {
      spec.kind = k;
      known = true;
    }
  if (!known)
    return invalid_request("unknown response kind `" + kind + "`");
  for (auto [key, out] : {std::pair{"text", &spec.text}, std::pair{"thinking", &spec.thinking},
                          std::pair{"thenText", &spec.then_text},
                          std::pair{"exceptionType", &spec.exception_type},
                          std::pair{"message", &spec.message},
                          std::pair{"signature", &spec.signature},
                          std::pair{"redactedContent", &spec.redacted_content},
                          std::pair{"reason", &spec.invalid_state_reason},
                          std::pair{"stopReason", &spec.stop_reason}})
    if (auto err = read_string(*obj, key, *out))
      return *err;
  for (auto [key, out] : {std::pair{"chunks", &spec.chunks}})
    if (auto err = read_int(*obj, key, *out, 1))
      return *err;
  for (auto [key, out] : {std::pair{"chunkDelayMs", &spec.chunk_delay_ms},
                          std::pair{"firstByteDelayMs", &spec.first_byte_delay_ms},
                          std::pair{"afterChunks", &spec.after_chunks},
                          std::pair{"citations", &spec.citations},
                          std::pair{"codeReferences", &spec.code_references}})
    if (auto err = read_int(*obj, key, *out, 0))
      return *err;
  if (auto err = read_int(*obj, "afterBytes", spec.after_bytes, 0))
    return *err;
  if (auto err = read_int(*obj, "toolInputLimitBytes", spec.tool_input_limit_bytes, 1))
    return *err;
  if (auto* usage = obj->if_contains("tokenUsage"); usage && !usage->is_null()) {
    auto parsed = parse_token_usage(*usage);
    if (!parsed)
      return parsed.error();
    spec.token_usage = *parsed;
  }
  if (auto* metering = obj->if_contains("metering"); metering && !metering->is_null()) {
    if (!metering->is_bool())
      return field_error("metering", "a boolean");
    spec.metering = metering->get_bool();
  }
  if (auto* credits = obj->if_contains("credits"); credits && !credits->is_null()) {
    if (!credits->is_number() || credits->to_number<double>() < 0)
      return field_error("credits", "a non-negative number");
    spec.credits = credits->to_number<double>();
  }
  if (auto* tools = obj->if_contains("tools"); tools && !tools->is_null()) {
    if (!tools->is_array())
      return field_error("tools", "an array");
    for (const auto& t : tools->get_array()) {
      if (!t.is_object())
        return field_error("tools[]", "an object");
      auto tool = parse_tool(t.get_object());
      if (!tool)
        return tool.error();
      spec.tools.push_back(std::move(*tool));
    }
  } else if (obj->contains("name")) {
    auto tool = parse_tool(*obj);
    if (!tool)
      return tool.error();
    spec.tools.push_back(std::move(*tool));
  }
  const bool needs_tool = spec.kind == response_kind::tool || spec.kind == response_kind::bracket ||
                          spec.kind == response_kind::cut_tool;
  if (needs_tool && spec.tools.empty())
    return invalid_request("response kind `" + kind + "` needs `name` or `tools`");
  return spec;
}

result<script_entry> parse_script_entry(const json::value& v) {
  auto* obj = v.if_object();
  if (!obj)
    return invalid_request("a script entry must be an object");
  script_entry entry;
  if (auto* m = obj->if_contains("match"); m && !m->is_null()) {
    if (!m->is_object())
      return field_error("match", "an object");
    const auto& mo = m->get_object();
    for (auto [key, out] : {std::pair{"account", &entry.match.account},
                            std::pair{"accessToken", &entry.match.access_token},
                            std::pair{"contentContains", &entry.match.content_contains}})
      if (auto err = read_optional_string(mo, key, *out))
        return *err;
    for (auto [key, out] : {std::pair{"hasToolResults", &entry.match.has_tool_results},
                            std::pair{"hasTools", &entry.match.has_tools}})
      if (auto err = read_optional_bool(mo, key, *out))
        return *err;
  }
  if (auto err = read_int(*obj, "times", entry.times, -1))
    return *err;
  if (entry.times == 0)
    return invalid_request("script field `times` must be positive or -1 (forever)");
  auto* response = obj->if_contains("response");
  if (!response)
    return invalid_request("a script entry needs a `response`");
  auto spec = parse_response(*response);
  if (!spec)
    return spec.error();
  entry.response = std::move(*spec);
  return entry;
}

result<std::vector<script_entry>> parse_script(std::string_view json_text) {
  json::error_code ec;
  auto v = json::parse(json_text, ec);
  if (ec)
    return invalid_request("script is not valid JSON: " + ec.message());
  const json::value* list = &v;
  if (auto* obj = v.if_object(); obj && obj->contains("entries"))
    list = &obj->at("entries");
  std::vector<script_entry> out;
  if (!list->is_array()) {
    auto one = parse_script_entry(*list);
    if (!one)
      return one.error();
    out.push_back(std::move(*one));
    return out;
  }
  for (const auto& item : list->get_array()) {
    auto one = parse_script_entry(item);
    if (!one)
      return one.error();
    out.push_back(std::move(*one));
  }
  return out;
}

bool matches(const script_match& m, const match_input& in) {
  if (m.account && *m.account != in.account_id)
    return false;
  if (m.access_token && *m.access_token != in.access_token)
    return false;
  if (m.content_contains && in.content.find(*m.content_contains) == std::string_view::npos)
    return false;
  if (m.has_tool_results && *m.has_tool_results != in.has_tool_results)
    return false;
  if (m.has_tools && *m.has_tools != in.has_tools)
    return false;
  return true;
}

void script_book::append(std::vector<script_entry> entries) {
  for (auto& e : entries)
    entries_.push_back(std::move(e));
}

std::optional<response_spec> script_book::take(const match_input& in) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (!matches(it->match, in))
      continue;
    response_spec spec = it->response;
    if (it->times > 0 && --it->times == 0)
      entries_.erase(it);
    return spec;
  }
  return std::nullopt;
}

} // namespace kb::sim
