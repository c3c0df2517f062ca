#include "shared/upstream/failures.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "shared/common/ascii.hpp"
#include "shared/common/civil_time.hpp"
#include "shared/common/redact.hpp"

namespace kb::upstream {

namespace {

namespace json = boost::json;

/// What Kiro's error body says, whatever its shape.
struct error_body {
  std::string message;
  std::string reason;
  std::string type; ///< `__type` without its `namespace#` prefix
};

std::string_view short_type(std::string_view type) {
  auto hash = type.rfind('#');
  return hash == std::string_view::npos ? type : type.substr(hash + 1);
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

/// Anything shaped like a Kiro access/refresh token, API key or JWT, in
/// case an upstream ever echoes one.
bool token_shaped(std::string_view word) {
  static constexpr std::array<std::string_view, 4> prefixes{"aoa", "aor", "ksk_", "eyJ"};
  return word.size() >= 20 && std::any_of(prefixes.begin(), prefixes.end(),
                                          [&](auto p) { return word.starts_with(p); });
}

std::string clean_message(std::string_view s) {
  auto text = redact_words(trim(s), token_shaped, "[redacted]");
  if (text.size() <= max_failure_message_bytes) return text;
  size_t cut = max_failure_message_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

std::string string_member(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string()) return {};
  const auto& s = it->value().get_string();
  return std::string(s.data(), s.size());
}

error_body read_error_body(std::string_view body) {
  error_body out;
  json::error_code ec;
  json::parse_options opts;
  opts.allow_invalid_utf8 = true;
  auto v = json::parse(json::string_view(body.data(), body.size()), ec, {}, opts);
  if (ec || !v.is_object()) {
    out.message = clean_message(body);
    return out;
  }
  // Kiro's own `{"message","reason","__type"}`, else the wrappers peers
  // read: `{"error":{"message","reason"|"code","__type"}}` (AIClient
  // claude-kiro.js error.reason) and the AWS JSON protocol's
  // `{"Output":{"message","__type"}}`; the first non-empty field wins.
  std::string message, reason, type;
  auto take = [&](const json::object& o) {
    if (message.empty()) message = string_member(o, "message");
    if (message.empty()) message = string_member(o, "Message");
    if (reason.empty()) reason = string_member(o, "reason");
    if (reason.empty()) reason = string_member(o, "code");
    if (type.empty()) type = string_member(o, "__type");
  };
  const auto& obj = v.get_object();
  take(obj);
  for (std::string_view wrapper : {"error", "Error", "Output", "output"}) {
    auto it = obj.find(wrapper);
    if (it != obj.end() && it->value().is_object()) take(it->value().get_object());
    else if (it != obj.end() && it->value().is_string() && message.empty())
      message = std::string(it->value().get_string());
  }
  out.message = clean_message(message);
  out.reason = reason;
  out.type = std::string(short_type(type));
  return out;
}

bool is_quota_reason(std::string_view text) {
  return contains_ci(text, "MONTHLY_REQUEST_COUNT") ||
         contains_ci(text, "OVERAGE_REQUEST_LIMIT_EXCEEDED") ||
         contains_ci(text, "CONVERSATION_LIMIT_EXCEEDED");
}

bool is_input_too_long(std::string_view message, std::string_view reason) {
  return contains_ci(reason, "CONTENT_LENGTH_EXCEEDS_THRESHOLD") ||
         contains_ci(message, "CONTENT_LENGTH_EXCEEDS_THRESHOLD") ||
         contains_ci(message, "input is too long");
}

failure_class classify_access_denied(std::string_view message, std::string_view reason) {
  if (contains_ci(message, "bearer token") || contains_ci(message, "security token") ||
      contains_ci(message, "token is expired") || contains_ci(message, "token has expired"))
    return failure_class::invalid_bearer;
  // A request for a feature the account lacks: the request is at fault.
  // Any other refusal (is_account_denial) is the account's.
  if (contains_ci(reason, "FEATURE_NOT_SUPPORTED"))
    return failure_class::bad_request;
  if (contains_ci(reason, "TEMPORARILY_SUSPENDED") || contains_ci(message, "suspended") ||
      contains_ci(message, "locked") || contains_ci(message, "disabled") ||
      contains_ci(message, "terms of service"))
    return failure_class::suspended;
  return failure_class::bad_request;
}

failure_class classify_status(int status, const error_body& body) {
  if (status < 100) return failure_class::network;
  if (status < 300) return failure_class::none;
  const std::string& reason = body.reason;
  if (contains_ci(reason, "DAILY_REQUEST_COUNT")) return failure_class::throttled;
  if (status == 402 || is_quota_reason(reason) ||
      equals_ci(body.type, "ServiceQuotaExceededException"))
    return failure_class::quota_exhausted;
  if (status >= 500) return failure_class::server_error;
  if (status == 429 || contains_ci(body.type, "Throttling") ||
      contains_ci(reason, "INSUFFICIENT_MODEL_CAPACITY"))
    return failure_class::throttled;
  if (status == 401) return failure_class::invalid_bearer;
  if (status == 403 || equals_ci(body.type, "AccessDeniedException"))
    return classify_access_denied(body.message, reason);
  if (is_input_too_long(body.message, reason)) return failure_class::input_too_long;
  return failure_class::bad_request;
}

std::string with_reason(std::string text, const upstream_failure& f) {
  if (!f.reason.empty()) text += " (" + f.reason + ")";
  return text;
}

std::string with_detail(std::string text, const upstream_failure& f) {
  text = with_reason(std::move(text), f);
  if (!f.message.empty()) text += ": " + f.message;
  return text;
}

/// RFC 9110 IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, via the ISO parser.
std::optional<int64_t> parse_http_date_ms(std::string_view v) {
  static constexpr std::array<std::string_view, 12> months{
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (v.size() != 29 || v[3] != ',' || v.substr(25) != " GMT") return std::nullopt;
  auto month = std::find(months.begin(), months.end(), v.substr(8, 3));
  if (month == months.end()) return std::nullopt;
  int m = static_cast<int>(month - months.begin()) + 1;
  const char mm[3] = {static_cast<char>('0' + m / 10), static_cast<char>('0' + m % 10), '\0'};
  std::string iso;
  iso.append(v.substr(12, 4)).append("-").append(mm).append("-").append(v.substr(5, 2));
  iso.append("T").append(v.substr(17, 8)).append("Z");
  return kb::parse_iso8601_ms(iso);
}

} // namespace

bool is_account_denial(const upstream_failure& f) {
  if (f.cls != failure_class::bad_request) return false;
  if (contains_ci(f.reason, "FEATURE_NOT_SUPPORTED")) return false;
  return f.http_status == 401 || f.http_status == 403 ||
         equals_ci(f.reason, "AccessDeniedException");
}

bool is_profile_arn_required(const upstream_failure& f) {
  return f.http_status == 400 && contains_ci(f.message, "profileArn is required");
}

std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_ms) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return max_retry_after_ms;
    int64_t seconds = std::stoll(std::string(value));
    return std::min<int64_t>(seconds * 1000, max_retry_after_ms);
  }
  auto at = parse_http_date_ms(value);
  if (!at) return std::nullopt;
  return std::clamp<int64_t>(*at - now_ms, 0, max_retry_after_ms);
}

upstream_failure classify_http_failure(int status, std::string_view body) {
  auto parsed = read_error_body(body);
  upstream_failure f;
  f.cls = classify_status(status, parsed);
  f.http_status = status;
  f.reason = parsed.reason.empty() ? parsed.type : parsed.reason;
  f.message = std::move(parsed.message);
  return f;
}

upstream_failure classify_exception(std::string_view type, std::string_view message) {
  auto name = short_type(trim(type));
  upstream_failure f;
  f.reason = std::string(name);
  f.message = clean_message(message);
  if (equals_ci(name, "ContentLengthExceededException")) f.cls = failure_class::none;
  else if (contains_ci(message, "DAILY_REQUEST_COUNT")) f.cls = failure_class::throttled;
  else if (equals_ci(name, "ServiceQuotaExceededException") || is_quota_reason(message))
    f.cls = failure_class::quota_exhausted;
  else if (contains_ci(name, "Throttling")) f.cls = failure_class::throttled;
  else if (equals_ci(name, "AccessDeniedException"))
    f.cls = classify_access_denied(message, "");
  else if (equals_ci(name, "ValidationException"))
    f.cls = is_input_too_long(message, "") ? failure_class::input_too_long
                                           : failure_class::bad_request;
  else f.cls = failure_class::server_error; // internalServerException and unknown kinds
  return f;
}

api_error to_client_error(const upstream_failure& f, int retry_after_seconds) {
  // Account-level failures name the cause but not Kiro's text, which can
  // carry the pool account's user id.
  constexpr std::string_view no_account = "No Kiro account could serve the request: ";
  switch (f.cls) {
    case failure_class::input_too_long:
      return {error_kind::invalid_request,
              "prompt is too long: Kiro rejected the input (CONTENT_LENGTH_EXCEEDS_THRESHOLD). "
              "Shorten the conversation or compact it and retry."};
    case failure_class::bad_request:
      if (is_account_denial(f))
        return {error_kind::overloaded,
                std::string(no_account) + "Kiro refused the account (HTTP " +
                  std::to_string(f.http_status) + ")"};
      if (is_profile_arn_required(f))
        return {error_kind::overloaded,
                std::string(no_account) +
                  "Kiro wants a profileArn the account has none of (enterprise IdC: "
                  "ListAvailableProfiles found none)"};
      return {error_kind::invalid_request, with_detail("Kiro rejected the request", f)};
    case failure_class::quota_exhausted:
      return {error_kind::rate_limit,
              with_reason("Every Kiro account has used up its quota", f) +
                " until the quota resets"};
    case failure_class::throttled:
      return {error_kind::rate_limit, with_detail("Kiro is throttling requests", f),
              std::max(retry_after_seconds, 1)};
    case failure_class::invalid_bearer:
      return {error_kind::overloaded,
              std::string(no_account) + "Kiro rejected the account's access token"};
    case failure_class::suspended:
      return {error_kind::overloaded,
              with_reason(std::string(no_account) + "the Kiro account is suspended or locked", f)};
    case failure_class::refresh_failed:
      return {error_kind::overloaded,
              std::string(no_account) + "refreshing the Kiro access token failed"};
    case failure_class::refresh_rejected:
      return {error_kind::overloaded,
              std::string(no_account) + "the Kiro refresh token was rejected; the account needs a new login"};
    case failure_class::server_error:
      return {error_kind::overloaded, with_detail("Kiro is overloaded or failing", f)};
    case failure_class::network:
      return {error_kind::api, with_detail("Could not reach Kiro", f)};
    case failure_class::none:
      break;
  }
  return {error_kind::api, "Kiro ended the request without a usable answer"};
}

} // namespace kb::upstream
