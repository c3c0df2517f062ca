#pragma once

// Test support: builds upstream events, runs an assembler over them and
// reads the SSE it wrote back into Claude content.

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "shared/common/stream_event.hpp"
#include "shared/reply/assembler.hpp"

namespace kb::reply::test {

inline stream_event text(std::string s) {
  stream_event e;
  e.kind = stream_event_kind::text;
  e.text = std::move(s);
  return e;
}

inline stream_event tool(std::string id, std::string name, std::string fragment, bool stop) {
  stream_event e;
  e.kind = stream_event_kind::tool_use;
  e.tool_use_id = std::move(id);
  e.name = std::move(name);
  e.text = std::move(fragment);
  e.stop = stop;
  return e;
}

inline stream_event context_usage(double percentage) {
  stream_event e;
  e.kind = stream_event_kind::context_usage;
  e.value = percentage;
  return e;
}

inline stream_event exception(std::string name, std::string message) {
  stream_event e;
  e.kind = stream_event_kind::exception;
  e.name = std::move(name);
  e.text = std::move(message);
  return e;
}

/// An event with `kind`, `text` and optionally `name`/`value`.
inline stream_event event(stream_event_kind kind, std::string text, std::string name = {},
                          double value = 0) {
  stream_event e;
  e.kind = kind;
  e.text = std::move(text);
  e.name = std::move(name);
  e.value = value;
  return e;
}

inline stream_event reasoning(std::string s) { return event(stream_event_kind::reasoning, std::move(s)); }
inline stream_event signature(std::string s) {
  return event(stream_event_kind::reasoning_signature, std::move(s));
}
inline stream_event redacted(std::string data) {
  return event(stream_event_kind::redacted_reasoning, std::move(data));
}
/// `field` is the Claude usage field, e.g. "cache_read_input_tokens".
inline stream_event usage(std::string field, double tokens) {
  return event(stream_event_kind::token_usage, {}, std::move(field), tokens);
}
inline stream_event upstream_stop(std::string reason) {
  return event(stream_event_kind::stop_reason, std::move(reason));
}
inline stream_event reference(std::string kind, double count) {
  return event(stream_event_kind::reference, {}, std::move(kind), count);
}

inline assembler_options options(bool stream = true) {
  assembler_options o;
  o.message_id = "msg_1";
  o.model = "claude-sonnet-4-5";
  o.stream = stream;
  o.input_tokens_estimate = 12;
  return o;
}

/// begin() + every on_event() + finish(), concatenated.
inline std::string run(const assembler_options& opts, const std::vector<stream_event>& events) {
  assembler a(opts);
  std::string out = a.begin();
  for (const auto& e : events) out += a.on_event(e);
  out += a.finish();
  return out;
}

struct sse_event {
  std::string type;
  boost::json::object data;
};

/// Parses `event: T\ndata: J\n\n` frames; `ok` turns false on any deviation
/// (bad framing, invalid JSON, data.type differing from the event name).
inline std::vector<sse_event> parse_sse(std::string_view sse, bool& ok) {
  ok = true;
  std::vector<sse_event> events;
  while (!sse.empty()) {
    size_t end = sse.find("\n\n");
    if (end == std::string_view::npos || !sse.starts_with("event: ")) {
      ok = false;
      break;
    }
    std::string_view frame = sse.substr(0, end);
    sse.remove_prefix(end + 2);
    size_t nl = frame.find('\n');
    if (nl == std::string_view::npos || !frame.substr(nl + 1).starts_with("data: ")) {
      ok = false;
      break;
    }
    std::string type(frame.substr(7, nl - 7));
    boost::system::error_code ec;
    auto value = boost::json::parse(frame.substr(nl + 7), ec);
    if (ec || !value.is_object() || !value.as_object().contains("type") ||
        value.as_object().at("type") != boost::json::value(type)) {
      ok = false;
      break;
    }
    events.push_back({type, value.as_object()});
  }
  return events;
}

/// Rebuilds the content array a client SDK would assemble from the SSE;
/// `ok` turns false when indexes are not contiguous or deltas misplaced.
inline boost::json::array content_from_sse(const std::vector<sse_event>& events, bool& ok) {
  ok = true;
  boost::json::array content;
  std::vector<std::string> partial_json;
  bool open = false;
  for (const auto& e : events) {
    if (e.type == "content_block_start") {
      if (open || e.data.at("index").as_int64() != static_cast<int64_t>(content.size())) ok = false;
      content.push_back(e.data.at("content_block"));
      partial_json.emplace_back();
      open = true;
    } else if (e.type == "content_block_delta") {
      auto index = static_cast<size_t>(e.data.at("index").as_int64());
      if (!open || index + 1 != content.size()) {
        ok = false;
        continue;
      }
      auto& block = content[index].as_object();
      const auto& delta = e.data.at("delta").as_object();
      auto type = delta.at("type").as_string();
      auto append = [&](const char* field, const char* from) {
        std::string v(block.contains(field) ? block.at(field).as_string().c_str() : "");
        v += delta.at(from).as_string().c_str();
        block[field] = v;
      };
      if (type == "text_delta") append("text", "text");
      else if (type == "thinking_delta") append("thinking", "thinking");
      else if (type == "signature_delta") append("signature", "signature");
      else if (type == "input_json_delta") partial_json[index] += delta.at("partial_json").as_string().c_str();
      else ok = false;
    } else if (e.type == "content_block_stop") {
      auto index = static_cast<size_t>(e.data.at("index").as_int64());
      if (!open || index + 1 != content.size()) ok = false;
      auto& block = content[index].as_object();
      if (block.at("type") == "tool_use") {
        boost::system::error_code ec;
        auto input = boost::json::parse(partial_json[index], ec);
        if (ec || !input.is_object()) ok = false;
        else block["input"] = input;
      }
      open = false;
    }
  }
  if (open) ok = false;
  return content;
}

/// The content rebuilt from a whole SSE transcript (fails the test on
/// malformed SSE).
inline boost::json::array content_of(std::string_view sse, bool& ok) {
  bool parsed = false;
  auto events = parse_sse(sse, parsed);
  bool rebuilt = false;
  auto content = content_from_sse(events, rebuilt);
  ok = parsed && rebuilt;
  return content;
}

inline const boost::json::object* find_event(const std::vector<sse_event>& events,
                                             std::string_view type) {
  for (const auto& e : events)
    if (e.type == type) return &e.data;
  return nullptr;
}

} // namespace kb::reply::test
