#include <algorithm>
#include <limits>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "shared/account/account.hpp"
#include "shared/account/json_fields.hpp"
#include "shared/common/ascii.hpp"

namespace kb::account {

namespace json = boost::json;
using namespace detail;

namespace {

constexpr size_t max_description_bytes = 200;

std::string_view method_name(auth_method m) {
  return m == auth_method::social ? "social" : "IdC";
}

/// What a token endpoint's error body says, without any token in it.
std::string describe_error_body(std::string_view body) {
  if (auto o = parse_object(body)) {
    std::string code = string_field(*o, "error");
    if (code.empty())
      code = string_field(*o, "__type");
    std::string text = string_field(*o, "error_description");
    if (text.empty())
      text = string_field(*o, "message");
    std::string out = code;
    if (!code.empty() && !text.empty())
      out += ": ";
    out += text;
    if (!out.empty()) {
      out = redact_long_words(out);
      if (out.size() > max_description_bytes)
        out.resize(max_description_bytes);
      return out;
    }
  }
  return "unrecognised error body";
}

/// invalid_grant (OIDC), InvalidGrantException (__type) or Kiro's text.
bool says_refresh_token_is_dead(std::string_view body) {
  return contains_ci(body, "invalid_grant") || contains_ci(body, "InvalidGrant") ||
         contains_ci(body, "Invalid refresh token");
}

upstream_failure refresh_failure(failure_class cls, int http_status,
                                 std::string message) {
  return upstream_failure{cls, http_status, "", std::move(message)};
}

std::variant<refreshed, upstream_failure>
parse_refresh_success(auth_method method, int http_status, std::string_view body,
                      int64_t now_ms) {
  auto prefix = std::string{method_name(method)} + " token refresh answered HTTP " +
                std::to_string(http_status);
  auto o = parse_object(body);
  if (!o)
    return refresh_failure(failure_class::refresh_failed, http_status,
                           prefix + " with a body that is not a JSON object");
  refreshed r;
  r.access_token = string_field(*o, "accessToken");
  if (r.access_token.empty())
    return refresh_failure(failure_class::refresh_failed, http_status,
                           prefix + " without an accessToken");
  auto expires_in = number_field(*o, "expiresIn");
  // A lifetime above a year is not a token lifetime; reject before it overflows.
  if (!expires_in || *expires_in <= 0 || *expires_in > 366.0 * 86400)
    return refresh_failure(failure_class::refresh_failed, http_status,
                           prefix + " without a valid expiresIn");
  r.refresh_token = string_field(*o, "refreshToken");
  r.profile_arn = string_field(*o, "profileArn");
  r.expires_at_ms = now_ms + static_cast<int64_t>(*expires_in * 1000);
  return r;
}

} // namespace

http_call refresh_call(const credentials& c, std::string_view social_url,
                       std::string_view idc_url, std::string_view machine_id,
                       std::string_view kiro_version) {
  http_call call;
  call.method = "POST";
  json::object body;
  if (c.method == auth_method::social) {
    call.url = std::string{social_url};
    body["refreshToken"] = c.refresh_token;
    call.headers = {
      {"Content-Type", "application/json"},
      {"Accept", "application/json, text/plain, */*"},
      {"User-Agent",
       "KiroIDE-" + std::string{kiro_version} + "-" + std::string{machine_id}},
    };
  } else {
    call.url = std::string{idc_url};
    body["clientId"] = c.client_id;
    body["clientSecret"] = c.client_secret;
    body["refreshToken"] = c.refresh_token;
    body["grantType"] = "refresh_token";
    call.headers = {
      {"Content-Type", "application/json"},
      {"x-amz-user-agent", "aws-sdk-js/3.980.0 KiroIDE"},
      {"user-agent", "aws-sdk-js/3.980.0 ua/2.1 os/linux#6.1 lang/js "
                     "md/nodejs#22.22.0 api/sso-oidc#3.980.0 m/E KiroIDE"},
      {"amz-sdk-request", "attempt=1; max=4"},
    };
  }
  call.body = json::serialize(body);
  return call;
}

std::variant<refreshed, upstream_failure>
parse_refresh_response(auth_method method, int http_status,
                       std::string_view body, int64_t now_ms) {
  if (http_status >= 200 && http_status < 300)
    return parse_refresh_success(method, http_status, body, now_ms);
  std::string status = "HTTP " + std::to_string(http_status);
  bool dead = (http_status == 400 && says_refresh_token_is_dead(body)) ||
              (http_status == 401 && method == auth_method::social);
  if (dead)
    return refresh_failure(
      failure_class::refresh_rejected, http_status,
      std::string{method_name(method)} + " token refresh rejected the refresh token (" +
        status + ", " + describe_error_body(body) +
        "); log in to Kiro again and re-import the account");
  return refresh_failure(failure_class::refresh_failed, http_status,
                         std::string{method_name(method)} + " token refresh failed (" +
                           status + ", " + describe_error_body(body) + ")");
}

int64_t refresh_delay_ms(int64_t expires_at_ms, int64_t now_ms,
                         int64_t buffer_seconds) {
  if (expires_at_ms <= 0 || expires_at_ms <= now_ms)
    return 0;
  constexpr int64_t max_buffer_s = std::numeric_limits<int64_t>::max() / 2000;
  int64_t buffer_ms = std::clamp<int64_t>(buffer_seconds, 0, max_buffer_s) * 1000;
  int64_t remaining = expires_at_ms - now_ms;
  return remaining > buffer_ms ? remaining - buffer_ms : 0;
}

bool needs_refresh(const credentials& c, int64_t now_ms, int64_t buffer_seconds) {
  return c.access_token.empty() ||
         refresh_delay_ms(c.expires_at_ms, now_ms, buffer_seconds) == 0;
}

namespace {

/// splitmix64: spreads nearby seeds (0, 1, 2, ...) over the whole range.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

} // namespace

int64_t retry_backoff_ms(int attempt, uint64_t jitter_seed) {
  int64_t base = backoff_base_ms;
  for (int i = 1; i < attempt && base < backoff_cap_ms; ++i)
    base *= 2;
  base = std::min(base, backoff_cap_ms);
  // The same jitter fraction in [-0.2, +0.2] for every attempt of one seed,
  // so the delays never shrink as attempts grow.
  constexpr uint64_t steps = 1'000'000;
  double fraction = static_cast<double>(mix(jitter_seed) % (steps + 1)) / steps;
  return base + static_cast<int64_t>(static_cast<double>(base) * 0.4 * (fraction - 0.5));
}

bool plausible_refresh_token(std::string_view token, size_t min_length,
                             std::string* why) {
  std::string problem;
  if (token.find("...") != std::string_view::npos)
    problem = "the refresh token contains \"...\": it was truncated when copied";
  else if (token.size() < min_length)
    problem = "the refresh token is only " + std::to_string(token.size()) +
              " characters long (expected at least " + std::to_string(min_length) +
              "): it may have been truncated";
  if (problem.empty())
    return true;
  if (why)
    *why = std::move(problem);
  return false;
}

} // namespace kb::account
