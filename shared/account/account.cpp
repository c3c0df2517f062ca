#include "shared/account/account.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include "shared/config/iso8601.hpp"

namespace kb::account {

namespace json = boost::json;

namespace {

constexpr int64_t default_expires_in_s = 3600;

std::optional<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  return std::move(v.as_object());
}

std::string string_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_string())
    return std::string{v->as_string()};
  return {};
}

std::optional<double> number_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v)
    return std::nullopt;
  if (v->is_double())
    return v->as_double();
  if (v->is_int64())
    return static_cast<double>(v->as_int64());
  if (v->is_uint64())
    return static_cast<double>(v->as_uint64());
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// A short, token-free description of an error body.
std::string describe_body(std::string_view body) {
  if (auto o = parse_object(body)) {
    for (auto key : {"error_description", "message", "error"}) {
      auto s = string_field(*o, key);
      if (!s.empty())
        return s.substr(0, 200);
    }
  }
  return "unexpected response";
}

std::string user_agent(std::string_view api, std::string_view sdk_version,
                       std::string_view kiro_version, std::string_view machine_id) {
  std::string ua = "aws-sdk-js/";
  ua += sdk_version;
  ua += " ua/2.1 os/linux#6.1 lang/js md/nodejs#22.22.0 api/";
  ua += api;
  ua += "#";
  ua += sdk_version;
  ua += " m/E KiroIDE-";
  ua += kiro_version;
  ua += "-";
  ua += machine_id;
  return ua;
}

std::string amz_user_agent(std::string_view sdk_version,
                           std::string_view kiro_version,
                           std::string_view machine_id) {
  std::string ua = "aws-sdk-js/";
  ua += sdk_version;
  ua += " KiroIDE-";
  ua += kiro_version;
  ua += "-";
  ua += machine_id;
  return ua;
}

/// Epoch ms from a number of seconds or an ISO-8601 string.
int64_t timestamp_ms(const json::value* v) {
  if (!v)
    return 0;
  if (v->is_string())
    return config::parse_iso8601_ms(v->as_string()).value_or(0);
  if (v->is_int64())
    return v->as_int64() * 1000;
  if (v->is_uint64())
    return static_cast<int64_t>(v->as_uint64()) * 1000;
  if (v->is_double())
    return static_cast<int64_t>(v->as_double() * 1000);
  return 0;
}

bool is_active(const json::object& o) {
  auto status = string_field(o, "status");
  if (status.empty())
    status = string_field(o, "freeTrialStatus");
  return status == "ACTIVE";
}

double precise(const json::object& o, std::string_view precise_key,
               std::string_view plain_key) {
  if (auto v = number_field(o, precise_key))
    return *v;
  return number_field(o, plain_key).value_or(0);
}

} // namespace

// -- refresh ------------------------------------------------------------------

http_call refresh_call(const credentials& c, std::string_view social_url,
                       std::string_view idc_url, std::string_view machine_id,
                       std::string_view kiro_version) {
  http_call call;
  call.method = "POST";
  json::object body;
  if (c.method == auth_method::social) {
    call.url = std::string{social_url};
    body["refreshToken"] = c.refresh_token;
    call.headers = {{"Content-Type", "application/json"},
                    {"Accept", "application/json, text/plain, */*"},
                    {"User-Agent", "KiroIDE-" + std::string{kiro_version} + "-" +
                                     std::string{machine_id}}};
  } else {
    call.url = std::string{idc_url};
    body["clientId"] = c.client_id;
    body["clientSecret"] = c.client_secret;
    body["refreshToken"] = c.refresh_token;
    body["grantType"] = "refresh_token";
    call.headers = {{"Content-Type", "application/json"},
                    {"x-amz-user-agent", "aws-sdk-js/3.980.0 KiroIDE"},
                    {"user-agent", "aws-sdk-js/3.980.0 ua/2.1 os/linux#6.1 lang/js "
                                   "md/nodejs#22.22.0 api/sso-oidc#3.980.0 m/E KiroIDE"},
                    {"amz-sdk-request", "attempt=1; max=4"}};
  }
  call.body = json::serialize(body);
  return call;
}

std::variant<refreshed, upstream_failure>
parse_refresh_response(auth_method method, int http_status,
                       std::string_view body, int64_t now_ms) {
  auto fail = [&](failure_class cls, std::string msg) {
    return upstream_failure{cls, http_status, "", std::move(msg)};
  };
  if (http_status == 200) {
    auto o = parse_object(body);
    if (!o)
      return fail(failure_class::refresh_failed,
                  "token refresh answered 200 with a body that is not JSON");
    refreshed r;
    r.access_token = string_field(*o, "accessToken");
    if (r.access_token.empty())
      r.access_token = string_field(*o, "access_token");
    if (r.access_token.empty())
      return fail(failure_class::refresh_failed,
                  "token refresh answered 200 without an accessToken");
    r.refresh_token = string_field(*o, "refreshToken");
    if (r.refresh_token.empty())
      r.refresh_token = string_field(*o, "refresh_token");
    r.profile_arn = string_field(*o, "profileArn");
    auto expires_in = number_field(*o, "expiresIn");
    if (!expires_in)
      expires_in = number_field(*o, "expires_in");
    auto seconds = expires_in && *expires_in > 0
                     ? static_cast<int64_t>(*expires_in)
                     : default_expires_in_s;
    r.expires_at_ms = now_ms + seconds * 1000;
    return r;
  }
  auto text = lower(body);
  bool dead = text.find("invalid_grant") != std::string::npos ||
              text.find("invalid refresh token") != std::string::npos ||
              (method == auth_method::social && http_status == 401);
  std::string who = method == auth_method::social ? "social" : "IdC";
  if (dead)
    return fail(failure_class::refresh_rejected,
                who + " token refresh rejected the refresh token (HTTP " +
                  std::to_string(http_status) + ": " + describe_body(body) +
                  "); log in again in Kiro and re-import the account");
  return fail(failure_class::refresh_failed,
              who + " token refresh failed (HTTP " + std::to_string(http_status) +
                ": " + describe_body(body) + ")");
}

int64_t refresh_delay_ms(int64_t expires_at_ms, int64_t now_ms,
                         int64_t buffer_seconds) {
  if (expires_at_ms <= 0)
    return 0;
  return std::max<int64_t>(0, expires_at_ms - buffer_seconds * 1000 - now_ms);
}

bool needs_refresh(const credentials& c, int64_t now_ms, int64_t buffer_seconds) {
  return c.access_token.empty() ||
         refresh_delay_ms(c.expires_at_ms, now_ms, buffer_seconds) == 0;
}

int64_t retry_backoff_ms(int attempt, uint64_t jitter_seed) {
  int64_t base = 1000;
  for (int i = 1; i < attempt && base < 60000; ++i)
    base *= 2;
  base = std::min<int64_t>(base, 60000);
  // ±20%: map the seed onto [-0.2, +0.2] of the base.
  auto span = base * 2 / 5;
  auto offset = span == 0 ? 0 : static_cast<int64_t>(jitter_seed % (span + 1)) - span / 2;
  return base + offset;
}

std::optional<std::string> implausible_refresh_token(std::string_view token,
                                                     size_t min_length) {
  if (token.find("...") != std::string_view::npos)
    return "the refresh token contains \"...\": it was truncated when copied";
  if (token.size() < min_length)
    return "the refresh token is only " + std::to_string(token.size()) +
           " characters long; Kiro refresh tokens are longer";
  return std::nullopt;
}

// -- usage --------------------------------------------------------------------

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

http_call usage_call(const credentials& c, std::string_view api_base_url,
                     std::string_view machine_id, std::string_view kiro_version) {
  http_call call;
  call.method = "GET";
  call.url = std::string{api_base_url};
  while (!call.url.empty() && call.url.back() == '/')
    call.url.pop_back();
  call.url += "/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST"
              "&isEmailRequired=true";
  if (c.method == auth_method::social && !c.profile_arn.empty())
    call.url += "&profileArn=" + url_encode(c.profile_arn);
  call.headers = {
    {"Authorization", "Bearer " + c.access_token},
    {"x-amz-user-agent", amz_user_agent("1.0.0", kiro_version, machine_id)},
    {"user-agent", user_agent("codewhispererruntime", "1.0.0", kiro_version,
                              machine_id)},
    {"amz-sdk-request", "attempt=1; max=1"},
  };
  return call;
}

std::variant<usage_limits, upstream_failure>
parse_usage_limits(int http_status, std::string_view body) {
  if (http_status != 200) {
    upstream_failure f;
    f.http_status = http_status;
    auto text = lower(body);
    if (http_status == 401 ||
        (http_status == 403 && text.find("bearer token") != std::string::npos))
      f.cls = failure_class::invalid_bearer;
    else if (http_status == 403 && (text.find("suspended") != std::string::npos ||
                                    text.find("locked") != std::string::npos))
      f.cls = failure_class::suspended;
    else if (http_status == 429)
      f.cls = failure_class::throttled;
    else if (http_status >= 500)
      f.cls = failure_class::server_error;
    else
      f.cls = failure_class::bad_request;
    f.message = "getUsageLimits failed (HTTP " + std::to_string(http_status) +
                ": " + describe_body(body) + ")";
    return f;
  }
  auto o = parse_object(body);
  if (!o)
    return upstream_failure{failure_class::server_error, 200, "",
                            "getUsageLimits answered with a body that is not JSON"};
  usage_limits u;
  if (auto* list = o->if_contains("usageBreakdownList");
      list && list->is_array() && !list->as_array().empty() &&
      list->as_array()[0].is_object()) {
    auto& first = list->as_array()[0].as_object();
    u.limit = precise(first, "usageLimitWithPrecision", "usageLimit");
    u.used = precise(first, "currentUsageWithPrecision", "currentUsage");
    if (auto* trial = first.if_contains("freeTrialInfo");
        trial && trial->is_object() && is_active(trial->as_object())) {
      u.limit += precise(trial->as_object(), "usageLimitWithPrecision", "usageLimit");
      u.used += precise(trial->as_object(), "currentUsageWithPrecision", "currentUsage");
    }
    if (auto* bonuses = first.if_contains("bonuses"); bonuses && bonuses->is_array()) {
      for (auto& b : bonuses->as_array()) {
        if (!b.is_object() || !is_active(b.as_object()))
          continue;
        u.limit += precise(b.as_object(), "usageLimitWithPrecision", "usageLimit");
        u.used += precise(b.as_object(), "currentUsageWithPrecision", "currentUsage");
      }
    }
    u.next_reset_ms = timestamp_ms(first.if_contains("nextDateReset"));
  } else if (auto* limits = o->if_contains("limits");
             limits && limits->is_array() && !limits->as_array().empty() &&
             limits->as_array()[0].is_object()) {
    auto& first = limits->as_array()[0].as_object();
    u.limit = number_field(first, "totalUsageLimit").value_or(0);
    u.used = number_field(first, "currentUsage").value_or(0);
  }
  if (auto reset = timestamp_ms(o->if_contains("nextDateReset")); reset > 0)
    u.next_reset_ms = reset;
  u.percent_used = u.limit > 0 ? std::clamp(u.used / u.limit * 100.0, 0.0, 100.0) : 0;
  if (auto* sub = o->if_contains("subscriptionInfo"); sub && sub->is_object()) {
    u.subscription_title = string_field(sub->as_object(), "subscriptionTitle");
    u.subscription_type = string_field(sub->as_object(), "type");
  }
  if (auto* over = o->if_contains("overageConfiguration"); over && over->is_object())
    u.overage_enabled = string_field(over->as_object(), "overageStatus") == "ENABLED";
  if (auto* user = o->if_contains("userInfo"); user && user->is_object())
    u.email = string_field(user->as_object(), "email");
  return u;
}

int64_t next_month_reset_ms(int64_t now_ms) {
  std::time_t secs = now_ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  tm.tm_mon += 1;
  if (tm.tm_mon == 12) {
    tm.tm_mon = 0;
    tm.tm_year += 1;
  }
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// -- headers ------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>>
chat_headers(const credentials& c, std::string_view machine_id,
             std::string_view kiro_version, std::string_view invocation_id) {
  return {
    {"Authorization", "Bearer " + c.access_token},
    {"Accept", "application/json"},
    {"x-amzn-codewhisperer-optout", "true"},
    {"x-amzn-kiro-agent-mode", "vibe"},
    {"x-amz-user-agent", amz_user_agent("1.0.34", kiro_version, machine_id)},
    {"user-agent", user_agent("codewhispererstreaming", "1.0.34", kiro_version,
                              machine_id)},
    {"amz-sdk-invocation-id", std::string{invocation_id}},
    {"amz-sdk-request", "attempt=1; max=3"},
  };
}

std::string machine_id(std::string_view account_id) {
  std::string input = "kiro-bridge/";
  input += account_id;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xF]);
  }
  return out;
}

std::string mask_secret(std::string_view secret) {
  if (secret.size() < 12)
    return "****";
  return "****" + std::string{secret.substr(secret.size() - 4)};
}

// -- Kiro IDE token file -------------------------------------------------------

std::variant<credentials, std::string>
parse_kiro_auth_token_file(std::string_view token_json,
                           std::string_view client_registration_json) {
  auto o = parse_object(token_json);
  if (!o)
    return std::string{"the token file is not a JSON object"};
  credentials c;
  c.access_token = string_field(*o, "accessToken");
  c.refresh_token = string_field(*o, "refreshToken");
  if (c.refresh_token.empty())
    return std::string{"the token file has no refreshToken"};
  if (auto* exp = o->if_contains("expiresAt")) {
    if (exp->is_string()) {
      auto ms = config::parse_iso8601_ms(exp->as_string());
      if (!ms)
        return std::string{"expiresAt is not an ISO-8601 time"};
      c.expires_at_ms = *ms;
    } else if (exp->is_int64()) {
      c.expires_at_ms = exp->as_int64();
    }
  }
  auto method = lower(string_field(*o, "authMethod"));
  c.region = string_field(*o, "region");
  c.profile_arn = string_field(*o, "profileArn");
  if (method == "idc" || method == "builderid" || method == "builder-id" ||
      method == "enterprise") {
    c.method = auth_method::idc;
    if (client_registration_json.empty())
      return std::string{"an IdC token needs its client registration file "
                         "(~/.aws/sso/cache/<clientIdHash>.json)"};
    auto reg = parse_object(client_registration_json);
    if (!reg)
      return std::string{"the client registration file is not a JSON object"};
    c.client_id = string_field(*reg, "clientId");
    c.client_secret = string_field(*reg, "clientSecret");
    if (c.client_id.empty() || c.client_secret.empty())
      return std::string{"the client registration file has no clientId/clientSecret"};
    c.profile_arn.clear();
  } else if (method.empty() || method == "social") {
    c.method = auth_method::social;
  } else {
    return "unknown authMethod \"" + string_field(*o, "authMethod") + "\"";
  }
  return c;
}

} // namespace kb::account
