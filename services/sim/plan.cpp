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

  /// Emits the tool's fragments; with `cut`, only the first half and no stop.
  void tool(const scripted_tool& t, size_t index, bool cut) {
    const std::string id =
        "tooluse_" + pseudo_random_base62(ctx_.seed, ctx_.sequence * 64 + index, 22);
    std::string_view input = t.input_json;
    if (cut)
      input = input.substr(0, std::max<size_t>(1, input.size() / 2));
    int n = t.fragments > 0 ? t.fragments
                            : default_pieces(input, bytes_per_default_fragment, max_default_fragments);
    auto fragments = split_text(input, n);
    if (fragments.empty())
      fragments.emplace_back();
    for (size_t i = 0; i < fragments.size(); ++i) {
      output_bytes_ += fragments[i].size();
      push(tool_use_event(t.name, id, fragments[i], !cut && i + 1 == fragments.size()));
    }
  }

  void finish() {
    steps_.push_back({0, metering_event(credits_for(ctx_.estimated_input_tokens, output_bytes_))});
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
  case response_kind::tool:
    out.text(spec.text, spec.chunks);
    for (size_t i = 0; i < spec.tools.size(); ++i)
      out.tool(spec.tools[i], i, false);
    out.text(spec.then_text, spec.chunks);
    out.finish();
    break;
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
