#include "services/sim/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "services/sim/ids.hpp"
#include "shared/common/json_text.hpp"
#include "shared/eventstream/codec.hpp"

namespace kb::sim {

namespace {

constexpr size_t max_echo_chars = 200;
constexpr size_t max_tool_result_echo_chars = 100;
constexpr int max_default_chunks = 8;
constexpr int chars_per_default_chunk = 16;
constexpr int max_default_fragments = 4;
constexpr int bytes_per_default_fragment = 12;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return !is_continuation(c);
  }));
}

int default_pieces(std::string_view s, int per_piece, int max_pieces) {
  const int n = static_cast<int>((code_points(s) + per_piece - 1) / per_piece);
  return std::clamp(n, 1, max_pieces);
}

/// Accumulates the frames of one streamed answer.
class stream_builder {
public:
  stream_builder(const response_spec& spec, const plan_context& ctx) : spec_(spec), ctx_(ctx) {}

  void text(std::string_view s, int chunks) {
    if (s.empty())
      return;
    for (auto& piece : split_text(s, chunks > 0 ? chunks : default_pieces(s, chars_per_default_chunk,
                                                                          max_default_chunks))) {
      output_bytes_ += piece.size();
      push(assistant_event(piece));
    }
  }

  /// Emits the tool's fragments; with `cut`, only the first half and no
  /// stop. Arguments over the spec's tool input limit are cut there as Kiro
  /// cuts them: no stop event. Returns whether the call was cut (then the
  /// stream ends: nothing follows a cut in Kiro's answer).
  bool tool(const scripted_tool& t, size_t index, bool cut) {
    const std::string id =
        "tooluse_" + pseudo_random_base62(ctx_.seed, ctx_.sequence * 64 + index, 22);
    std::string_view input = t.input_json;
    if (cut)
      input = input.substr(0, std::max<size_t>(1, input.size() / 2));
    const auto limit = static_cast<size_t>(std::max<int64_t>(1, spec_.tool_input_limit_bytes));
    if (input.size() > limit) {
      size_t end = limit;
      while (end > 0 && is_continuation(input[end]))
        --end;
      input = input.substr(0, end);
      cut = true;
    }
    int n = t.fragments > 0 ? t.fragments
                            : default_pieces(input, bytes_per_default_fragment, max_default_fragments);
    auto fragments = split_text(input, n);
    if (fragments.empty())
      fragments.emplace_back();
    for (size_t i = 0; i < fragments.size(); ++i) {
      output_bytes_ += fragments[i].size();
      push(tool_use_event(t.name, id, fragments[i], !cut && i + 1 == fragments.size()));
    }
    return cut;
  }

  /// reasoningContentEvent frames: redacted content first, then the text
  /// in chunks, the last one carrying the signature.
  void reasoning(std::string_view thinking, int chunks) {
    if (!spec_.redacted_content.empty())
      push(reasoning_event({}, {}, spec_.redacted_content));
    const std::string signature = spec_.signature.empty()
                                      ? "sim-sig-" + pseudo_random_base62(ctx_.seed, ctx_.sequence, 40)
                                      : spec_.signature;
    auto pieces = split_text(thinking, chunks > 0 ? chunks
                                                  : default_pieces(thinking, chars_per_default_chunk,
                                                                   max_default_chunks));
    if (pieces.empty())
      pieces.emplace_back();
    for (size_t i = 0; i < pieces.size(); ++i) {
      output_bytes_ += pieces[i].size();
      push(reasoning_event(pieces[i], i + 1 == pieces.size() ? signature : "", {}));
    }
  }

  /// What follows the content, in this order: citations, code references,
  /// token usage, the stop event, metering, context usage.
  void finish() {
    for (int i = 0; i < spec_.citations; ++i)
      push(citation_event(i));
    if (spec_.code_references > 0)
      push(code_reference_event(spec_.code_references));
    if (spec_.token_usage)
      push(metadata_event(*spec_.token_usage));
    if (!spec_.stop_reason.empty())
      push(message_stop_event(spec_.stop_reason));
    if (spec_.metering)
      steps_.push_back({0, metering_event(spec_.credits ? *spec_.credits
                                                        : credits_for(ctx_.estimated_input_tokens,
                                                                      output_bytes_))});
    steps_.push_back(
        {0, context_usage_event(context_usage_percentage(ctx_.estimated_input_tokens,
                                                         ctx_.context_window_tokens))});
  }

  void raw(std::string bytes) { push(std::move(bytes)); }

  std::vector<stream_step> take() { return std::move(steps_); }

private:
  void push(std::string bytes) {
    steps_.push_back({steps_.empty() ? 0 : spec_.chunk_delay_ms, std::move(bytes)});
  }

  const response_spec& spec_;
  const plan_context& ctx_;
  std::vector<stream_step> steps_;
  size_t output_bytes_ = 0;
};

std::string bracket_text(const std::vector<scripted_tool>& tools) {
  std::string out;
  for (const auto& t : tools) {
    if (!out.empty())
      out += '\n';
    out += "[Called " + t.name + " with args: " + t.input_json + "]";
  }
  return out;
}

std::string text_or(const std::string& text, const std::string& fallback) {
  return text.empty() ? fallback : text;
}

response_plan error_plan(kiro_reply reply) {
  response_plan plan;
  plan.reply = std::move(reply);
  return plan;
}

} // namespace

size_t response_plan::total_bytes() const noexcept {
  size_t n = 0;
  for (const auto& s : steps)
    n += s.bytes.size();
  return n;
}

std::string utf8_prefix(std::string_view s, size_t n) {
  size_t seen = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!is_continuation(s[i]) && seen++ == n)
      return std::string(s.substr(0, i));
  }
  return std::string(s);
}

std::string default_answer_text(const request_summary& summary) {
  if (summary.has_tool_results)
    return "Tool result received: " +
           utf8_prefix(summary.first_tool_result_text, max_tool_result_echo_chars);
  return "Hello from kiro-sim. You said: " + utf8_prefix(summary.content, max_echo_chars);
}

response_spec default_response(const request_summary& summary) {
  response_spec spec;
  spec.kind = response_kind::text;
  spec.text = default_answer_text(summary);
  return spec;
}

std::vector<std::string> split_text(std::string_view s, int pieces) {
  std::vector<std::string> out;
  const size_t total = code_points(s);
  if (total == 0 || pieces <= 0)
    return out;
  const size_t n = std::min<size_t>(static_cast<size_t>(pieces), total);
  size_t start = 0;
  size_t seen = 0;
  for (size_t piece = 1; piece <= n; ++piece) {
    const size_t target = total * piece / n;
    size_t end = start;
    while (end < s.size() && (seen < target || is_continuation(s[end]))) {
      if (!is_continuation(s[end]))
        ++seen;
      ++end;
    }
    // Pull in continuation bytes of the last code point.
    while (end < s.size() && is_continuation(s[end]))
      ++end;
    out.emplace_back(s.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string format_decimal(double value, int places) {
  if (!std::isfinite(value))
    return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", places, value);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0')
      out.pop_back();
    if (out.back() == '.')
      out.pop_back();
  }
  return out == "-0" ? "0" : out;
}

double context_usage_percentage(int64_t input_tokens, int64_t window_tokens) {
  return static_cast<double>(input_tokens) * 100.0 / static_cast<double>(window_tokens);
}

double credits_for(int64_t input_tokens, size_t output_bytes) {
  return 0.01 + static_cast<double>(input_tokens) * 0.000002 +
         static_cast<double>(output_bytes) * 0.00001;
}

std::string assistant_event(std::string_view content) {
  std::string payload = "{\"content\":";
  append_json_string(payload, content);
  payload += '}';
  return eventstream::encode_event("assistantResponseEvent", payload);
}

std::string tool_use_event(std::string_view name, std::string_view tool_use_id,
                           std::string_view input_fragment, bool stop) {
  std::string payload = "{\"name\":";
  append_json_string(payload, name);
  payload += ",\"toolUseId\":";
  append_json_string(payload, tool_use_id);
  payload += ",\"input\":";
  append_json_string(payload, input_fragment);
  payload += stop ? ",\"stop\":true}" : ",\"stop\":false}";
  return eventstream::encode_event("toolUseEvent", payload);
}

std::string metering_event(double credits) {
  return eventstream::encode_event(
      "meteringEvent",
      "{\"unit\":\"credit\",\"unitPlural\":\"credits\",\"usage\":" + format_decimal(credits, 4) +
          "}");
}

std::string reasoning_event(std::string_view text, std::string_view signature,
                            std::string_view redacted_content) {
  std::string payload;
  auto field = [&](std::string_view key, std::string_view value) {
    if (value.empty())
      return;
    payload += payload.empty() ? "{\"" : ",\"";
    payload += key;
    payload += "\":";
    append_json_string(payload, value);
  };
  field("text", text);
  field("signature", signature);
  field("redactedContent", redacted_content);
  payload += payload.empty() ? "{}" : "}";
  return eventstream::encode_event("reasoningContentEvent", payload);
}

std::string metadata_event(const scripted_token_usage& usage) {
  const int64_t total = usage.uncached_input_tokens + usage.output_tokens +
                        usage.cache_read_input_tokens.value_or(0) +
                        usage.cache_write_input_tokens.value_or(0);
  std::string payload = "{\"tokenUsage\":{\"uncachedInputTokens\":" +
                        std::to_string(usage.uncached_input_tokens) +
                        ",\"outputTokens\":" + std::to_string(usage.output_tokens) +
                        ",\"totalTokens\":" + std::to_string(total);
  if (usage.cache_read_input_tokens)
    payload += ",\"cacheReadInputTokens\":" + std::to_string(*usage.cache_read_input_tokens);
  if (usage.cache_write_input_tokens)
    payload += ",\"cacheWriteInputTokens\":" + std::to_string(*usage.cache_write_input_tokens);
  payload += "}}";
  return eventstream::encode_event("metadataEvent", payload);
}

std::string message_stop_event(std::string_view stop_reason) {
  std::string payload = "{\"stopReason\":";
  append_json_string(payload, stop_reason);
  payload += '}';
  return eventstream::encode_event("messageStopEvent", payload);
}

std::string invalid_state_event(std::string_view reason, std::string_view message) {
  std::string payload = "{\"reason\":";
  append_json_string(payload, reason);
  payload += ",\"message\":";
  append_json_string(payload, message);
  payload += '}';
  return eventstream::encode_event("invalidStateEvent", payload);
}

std::string citation_event(int index) {
  return eventstream::encode_event(
      "citationEvent", "{\"target\":{\"location\":" + std::to_string(index) +
                           "},\"citationText\":\"kiro-sim\",\"citationLink\":"
                           "\"https://kiro-sim.invalid/cite/" +
                           std::to_string(index) + "\"}");
}

std::string code_reference_event(int references) {
  std::string payload = "{\"references\":[";
  for (int i = 0; i < references; ++i) {
    if (i > 0)
      payload += ',';
    payload += "{\"licenseName\":\"MIT\",\"repository\":\"kiro-sim/example\",\"url\":"
               "\"https://kiro-sim.invalid/ref/" +
               std::to_string(i) + "\"}";
  }
  payload += "]}";
  return eventstream::encode_event("codeReferenceEvent", payload);
}

std::string context_usage_event(double percentage) {
  return eventstream::encode_event(
      "contextUsageEvent", "{\"contextUsagePercentage\":" + format_decimal(percentage, 4) + "}");
}

response_plan plan_response(const response_spec& spec, const plan_context& ctx) {
  switch (spec.kind) {
  case response_kind::quota: {
    auto plan = error_plan(quota_exhausted());
    plan.exhausts_quota = true;
    return plan;
  }
  case response_kind::throttle: return error_plan(throttled());
  case response_kind::invalid_bearer: return error_plan(invalid_bearer());
  case response_kind::suspended: return error_plan(suspended(ctx.user_id));
  case response_kind::access_denied:
    return error_plan(access_denied(spec.message.empty() ? "User is not authorized to access this feature."
                                                        : spec.message));
  case response_kind::server_error: return error_plan(high_load());
  case response_kind::input_too_long: return error_plan(input_too_long());
  default: break;
  }

  response_plan plan;
  plan.first_byte_delay_ms = spec.first_byte_delay_ms;
  stream_builder out(spec, ctx);
  switch (spec.kind) {
  case response_kind::text:
  case response_kind::slow:
    out.text(text_or(spec.text, ctx.default_text), spec.chunks);
    out.finish();
    break;
  case response_kind::tool: {
    out.text(spec.text, spec.chunks);
    bool cut = false;
    for (size_t i = 0; i < spec.tools.size() && !cut; ++i)
      cut = out.tool(spec.tools[i], i, false);
    if (cut)
      break;
    out.text(spec.then_text, spec.chunks);
    out.finish();
    break;
  }
  case response_kind::reasoning:
    out.reasoning(spec.thinking, spec.chunks);
    out.text(spec.text, spec.chunks);
    out.finish();
    break;
  case response_kind::invalid_state: {
    auto chunks = split_text(text_or(spec.text, ctx.default_text),
                             spec.chunks > 0 ? spec.chunks : max_default_chunks);
    const size_t emitted = std::min(chunks.size(), static_cast<size_t>(spec.after_chunks));
    for (size_t i = 0; i < emitted; ++i)
      out.raw(assistant_event(chunks[i]));
    out.raw(invalid_state_event(spec.invalid_state_reason,
                                text_or(spec.message, "The conversation is in an invalid state.")));
    break;
  }
  case response_kind::thinking:
    out.text("<thinking>\n" + spec.thinking + "\n</thinking>\n\n" + spec.text, spec.chunks);
    out.finish();
    break;
  case response_kind::bracket:
    out.text(spec.text + bracket_text(spec.tools), spec.chunks);
    out.finish();
    break;
  case response_kind::exception: {
    auto chunks = split_text(text_or(spec.text, ctx.default_text),
                             spec.chunks > 0 ? spec.chunks : max_default_chunks);
    const size_t emitted = std::min(chunks.size(), static_cast<size_t>(spec.after_chunks));
    for (size_t i = 0; i < emitted; ++i)
      out.raw(assistant_event(chunks[i]));
    std::string payload = "{\"message\":";
    append_json_string(payload,
                       text_or(spec.message, "Encountered an unexpected error when processing "
                                             "the request, please try again."));
    payload += '}';
    out.raw(eventstream::encode_exception(spec.exception_type, payload));
    break;
  }
  case response_kind::drop:
    out.text(text_or(spec.text, ctx.default_text), spec.chunks);
    out.finish();
    plan.drop_after_bytes = static_cast<size_t>(spec.after_bytes);
    break;
  case response_kind::cut_tool:
    out.text(spec.text, spec.chunks);
    for (size_t i = 0; i < spec.tools.size(); ++i)
      out.tool(spec.tools[i], i, true);
    break;
  default: break;
  }
  plan.steps = out.take();
  return plan;
}

} // namespace kb::sim
