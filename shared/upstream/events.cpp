#include "shared/upstream/events.hpp"

#include <cmath>
#include <utility>

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

void push_string_event(std::vector<stream_event>& out, stream_event_kind kind,
                       const json::string* s) {
  if (!s || s->empty()) return;
  stream_event ev;
  ev.kind = kind;
  ev.text.assign(s->data(), s->size());
  out.push_back(std::move(ev));
}

// SDK ReasoningContentEvent {text, signature, redactedContent (a blob, so
// base64 in JSON)}; the same field names in Kiro-Go proxy/kiro.go (`text`)
// and CLIProxyAPIPlus' sibling gateways. Redacted thinking is a block of its
// own, so it goes first; the signature closes the text it came with.
void reasoning_events(const json::object& p, std::vector<stream_event>& out) {
  push_string_event(out, stream_event_kind::redacted_reasoning, string_field(p, "redactedContent"));
  push_string_event(out, stream_event_kind::reasoning, string_field(p, "text"));
  push_string_event(out, stream_event_kind::reasoning_signature, string_field(p, "signature"));
}

// SDK TokenUsage {uncachedInputTokens, outputTokens, totalTokens,
// cacheReadInputTokens?, cacheWriteInputTokens?} inside metadataEvent (Kiro-Go
// proxy/kiro.go reads it from messageMetadataEvent too). Claude's
// input_tokens excludes cached tokens, like uncachedInputTokens.
void token_usage_events(const json::object& p, std::vector<stream_event>& out) {
  auto it = p.find("tokenUsage");
  if (it == p.end() || !it->value().is_object()) return;
  const auto& usage = it->value().get_object();
  constexpr std::pair<std::string_view, std::string_view> fields[] = {
    {"uncachedInputTokens", "input_tokens"},
    {"outputTokens", "output_tokens"},
    {"cacheReadInputTokens", "cache_read_input_tokens"},
    {"cacheWriteInputTokens", "cache_creation_input_tokens"},
  };
  for (const auto& [kiro_name, claude_name] : fields) {
    auto v = number_field(usage, kiro_name);
    if (!v || !std::isfinite(*v) || *v < 0) continue;
    stream_event ev;
    ev.kind = stream_event_kind::token_usage;
    ev.name = claude_name;
    ev.value = *v;
    out.push_back(std::move(ev));
  }
}

// messageStopEvent {stopReason} (CLIProxyAPIPlus kiro_executor.go reads it
// there and at the top level of any event); metadataEvent may carry it too.
void stop_reason_event(const json::object& p, std::vector<stream_event>& out) {
  push_string_event(out, stream_event_kind::stop_reason, string_field(p, "stopReason"));
}

// SDK InvalidStateEvent {reason, message}: Kiro gave up on the turn.
stream_event invalid_state_event(const json::object& p) {
  stream_event ev;
  ev.kind = stream_event_kind::exception;
  ev.name = "InvalidStateEvent";
  auto* reason = string_field(p, "reason");
  auto* message = string_field(p, "message");
  std::string text;
  if (reason) text.assign(reason->data(), reason->size());
  if (message && !message->empty()) {
    if (!text.empty()) text += ": ";
    text.append(message->data(), message->size());
  }
  ev.text = utf8_prefix(text, max_exception_text_bytes);
  return ev;
}

stream_event reference_event(std::string_view kind, double count) {
  stream_event ev;
  ev.kind = stream_event_kind::reference;
  ev.name = kind;
  ev.value = count;
  return ev;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

} // namespace

size_t to_stream_events(const eventstream::message& msg, std::vector<stream_event>& out) {
  const size_t before = out.size();
  const std::string* message_type = msg.string_header(":message-type");
  if (message_type && *message_type == "exception") {
    out.push_back(exception_event(msg, false));
    return 1;
  }
  if (message_type && *message_type == "error") {
    out.push_back(exception_event(msg, true));
    return 1;
  }
  if (message_type && *message_type != "event") return 0;

  const std::string* event_type = msg.string_header(":event-type");
  if (!event_type) return 0;
  std::string_view type = *event_type;
  bool known = type == "assistantResponseEvent" || type == "toolUseEvent" ||
               type == "contextUsageEvent" || type == "meteringEvent" ||
               type == "reasoningContentEvent" || type == "metadataEvent" ||
               type == "messageMetadataEvent" || type == "messageStopEvent" ||
               type == "invalidStateEvent" || type == "citationEvent" ||
               type == "codeReferenceEvent";
  // An exception sent as an event is still the end of the answer.
  if (!known && ends_with(type, "Exception")) {
    out.push_back(exception_event(msg, false));
    out.back().name = short_type(type);
    return 1;
  }
  if (!known) return 0;

  unsigned char scratch[2048];
  json::monotonic_resource resource(scratch, sizeof scratch);
  auto payload = parse_object(msg.payload, resource);
  if (!payload) {
    // A citation/code reference is counted even when its payload is unusual.
    if (type == "citationEvent") out.push_back(reference_event("citation", 1));
    return out.size() - before;
  }
  auto push = [&](std::optional<stream_event> ev) {
    if (ev) out.push_back(std::move(*ev));
  };
  if (type == "assistantResponseEvent") push(text_event(*payload));
  else if (type == "toolUseEvent") push(tool_use_event(*payload));
  else if (type == "contextUsageEvent")
    push(number_event(*payload, "contextUsagePercentage", stream_event_kind::context_usage));
  else if (type == "meteringEvent")
    push(number_event(*payload, "usage", stream_event_kind::metering));
  else if (type == "reasoningContentEvent") reasoning_events(*payload, out);
  else if (type == "metadataEvent" || type == "messageMetadataEvent") {
    token_usage_events(*payload, out);
    stop_reason_event(*payload, out);
  } else if (type == "messageStopEvent") stop_reason_event(*payload, out);
  else if (type == "invalidStateEvent") out.push_back(invalid_state_event(*payload));
  else if (type == "citationEvent") out.push_back(reference_event("citation", 1));
  else if (type == "codeReferenceEvent") {
    // SDK CodeReferenceEvent {references: [Reference]}.
    auto it = payload->find("references");
    if (it != payload->end() && it->value().is_array() && !it->value().get_array().empty())
      out.push_back(reference_event("code_reference",
                                    static_cast<double>(it->value().get_array().size())));
  }
  return out.size() - before;
}

std::optional<stream_event> to_stream_event(const eventstream::message& msg) {
  std::vector<stream_event> events;
  if (to_stream_events(msg, events) == 0) return std::nullopt;
  return std::move(events.front());
}

eventstream::decode_status event_reader::feed(std::string_view bytes, std::vector<stream_event>& out) {
  frames_.clear();
  auto status = decoder_.feed(bytes, frames_);
  for (const auto& frame : frames_)
    if (to_stream_events(frame, out) == 0) ++skipped_frames_;
  return status;
}

} // namespace kb::upstream
