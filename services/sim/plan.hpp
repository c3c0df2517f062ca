#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/sim/kiro_errors.hpp"
#include "services/sim/script.hpp"
#include "services/sim/validation.hpp"

namespace kb::sim {

/// Bytes to write after a pause.
struct stream_step {
  int delay_ms = 0;
  std::string bytes;
};

/// How the simulator answers one accepted chat request.
struct response_plan {
  /// Set for answers that are a plain HTTP error instead of a stream.
  std::optional<kiro_reply> reply;
  int first_byte_delay_ms = 0;
  std::vector<stream_step> steps;
  /// Cut the connection once this many stream bytes are out.
  std::optional<size_t> drop_after_bytes;
  /// The answer is a quota hit: the account's usage shows exhausted.
  bool exhausts_quota = false;

  size_t total_bytes() const noexcept;
};

/// Request-derived facts the plan needs.
struct plan_context {
  int64_t estimated_input_tokens = 0;
  /// Text of the default answer (used when a script gives none).
  std::string default_text;
  std::string user_id;
  /// Makes tool ids unique per request yet reproducible.
  uint64_t seed = 0;
  uint64_t sequence = 0;
  /// The requested model's window (ListAvailableModels maxInputTokens).
  int64_t context_window_tokens = 200'000;
};

/// The context window contextUsagePercentage is measured against.
inline constexpr int64_t context_window_tokens = 200'000;

/// The deterministic answer to an unscripted request.
std::string default_answer_text(const request_summary& summary);
response_spec default_response(const request_summary& summary);

response_plan plan_response(const response_spec& spec, const plan_context& ctx);

/// `s` cut into `pieces` parts of near-equal code point counts (never inside
/// a UTF-8 sequence); fewer parts when `s` has fewer code points.
std::vector<std::string> split_text(std::string_view s, int pieces);

/// The first `n` code points of `s`.
std::string utf8_prefix(std::string_view s, size_t n);

/// `value` with at most `places` decimals and no trailing zeros.
std::string format_decimal(double value, int places);

/// `input_tokens` as a percentage of the model's window (Kiro measures
/// contextUsagePercentage against the model's own window: kiro.rs and
/// AIClient derive input tokens as window × percentage / 100).
double context_usage_percentage(int64_t input_tokens,
                                int64_t window_tokens = context_window_tokens);
double credits_for(int64_t input_tokens, size_t output_bytes);

std::string assistant_event(std::string_view content);
std::string tool_use_event(std::string_view name, std::string_view tool_use_id,
                           std::string_view input_fragment, bool stop);
std::string metering_event(double credits);
std::string context_usage_event(double percentage);
std::string reasoning_event(std::string_view text, std::string_view signature,
                            std::string_view redacted_content);
std::string metadata_event(const scripted_token_usage& usage);
std::string message_stop_event(std::string_view stop_reason);
std::string invalid_state_event(std::string_view reason, std::string_view message);
std::string citation_event(int index);
std::string code_reference_event(int references);

} // namespace kb::sim
