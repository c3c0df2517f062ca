#include "shared/upstream/events.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace kb::upstream {

namespace {

namespace json = boost::json;

constexpr size_t max_exception_text_bytes = 300;

const json::string* string_field(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : it->value().if_string();
}

std::optional<double> number_field(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_number()) return std::nullopt;
  json::error_code ec;
  double v = it->value().to_number<double>(ec);
  if (ec) return std::nullopt;
  return v;
}

/// Parses `text` as a JSON object into memory owned by `resource`.
std::optional<json::object> parse_object(std::string_view text, json::monotonic_resource& resource) {
  json::parse_options opts;
  opts.allow_invalid_utf8 = true; // repaired when re-serialized for the client
  json::error_code ec;
  auto v = json::parse(json::string_view(text.data(), text.size()), ec, &resource, opts);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string_view short_type(std::string_view type) {
  auto hash = type.rfind('#');
  return hash == std::string_view::npos ? type : type.substr(hash + 1);
}

std::string utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut));
}

stream_event exception_event(const eventstream::message& msg, bool is_error_frame) {
  json::monotonic_resource resource;
  auto payload = parse_object(msg.payload, resource);
  stream_event ev;
  ev.kind = stream_event_kind::exception;

  const std::string* name_header =
    msg.string_header(is_error_frame ? ":error-code" : ":exception-type");
  if (name_header && !name_header->empty()) ev.name = *name_header;
  else if (auto* t = payload ? string_field(*payload, "__type") : nullptr)
    ev.name = short_type(std::string_view(t->data(), t->size()));
  else ev.name = is_error_frame ? "UnknownError" : "UnknownException";

  const json::string* text = nullptr;
  if (payload) {
    text = string_field(*payload, "message");
    if (!text) text = string_field(*payload, "Message");
  }
  if (text) ev.text = utf8_prefix(std::string_view(text->data(), text->size()), max_exception_text_bytes);
  else if (auto* h = msg.string_header(":error-message")) ev.text = utf8_prefix(*h, max_exception_text_bytes);
  else if (!payload) ev.text = utf8_prefix(msg.payload, max_exception_text_bytes);
  return ev;
}

std::optional<stream_event> text_event(const json::object& p) {
  if (p.contains("followupPrompt")) return std::nullopt;
  auto* content = string_field(p, "content");
  if (!content || content->empty()) return std::nullopt;
  stream_event ev;
  ev.kind = stream_event_kind::text;
  ev.text.assign(content->data(), content->size());
  return ev;
}

std::optional<stream_event> tool_use_event(const json::object& p) {
  auto* name = string_field(p, "name");
  auto* id = string_field(p, "toolUseId");
  if (!name || !id || id->empty()) return std::nullopt;
  stream_event ev;
  ev.kind = stream_event_kind::tool_use;
  ev.name.assign(name->data(), name->size());
  ev.tool_use_id.assign(id->data(), id->size());
  if (auto it = p.find("input"); it != p.end()) {
    if (auto* s = it->value().if_string()) ev.text.assign(s->data(), s->size());
    else if (it->value().is_object()) ev.text = json::serialize(it->value());
  }
  if (auto it = p.find("stop"); it != p.end())
    if (auto* b = it->value().if_bool()) ev.stop = *b;
  return ev;
}

std::optional<stream_event> number_event(const json::object& p, std::string_view key,
                                         stream_event_kind kind) {
  auto v = number_field(p, key);
  if (!v) return std::nullopt;
  stream_event ev;
  ev.kind = kind;
  ev.value = *v;
  return ev;
}

} // namespace

std::optional<stream_event> to_stream_event(const eventstream::message& msg) {
  const std::string* message_type = msg.string_header(":message-type");
  if (message_type && *message_type == "exception") return exception_event(msg, false);
  if (message_type && *message_type == "error") return exception_event(msg, true);
  if (message_type && *message_type != "event") return std::nullopt;

  const std::string* event_type = msg.string_header(":event-type");
  if (!event_type) return std::nullopt;
  std::string_view type = *event_type;
  bool known = type == "assistantResponseEvent" || type == "toolUseEvent" ||
               type == "contextUsageEvent" || type == "meteringEvent";
  if (!known) return std::nullopt;

  unsigned char scratch[2048];
  json::monotonic_resource resource(scratch, sizeof scratch);
  auto payload = parse_object(msg.payload, resource);
  if (!payload) return std::nullopt;
  if (type == "assistantResponseEvent") return text_event(*payload);
  if (type == "toolUseEvent") return tool_use_event(*payload);
  if (type == "contextUsageEvent")
    return number_event(*payload, "contextUsagePercentage", stream_event_kind::context_usage);
  return number_event(*payload, "usage", stream_event_kind::metering);
}

eventstream::decode_status event_reader::feed(std::string_view bytes, std::vector<stream_event>& out) {
  frames_.clear();
  auto status = decoder_.feed(bytes, frames_);
  for (const auto& frame : frames_) {
    if (auto ev = to_stream_event(frame)) out.push_back(std::move(*ev));
    else ++skipped_frames_;
  }
  return status;
}

} // namespace kb::upstream
