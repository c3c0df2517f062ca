#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "shared/account/account.hpp"

using namespace kb;
using namespace kb::account;
namespace json = boost::json;

namespace {

credentials social() {
  credentials c;
  c.access_token = "aoa-access-token-0123456789";
  c.refresh_token = "aor-refresh-token-0123456789";
  c.profile_arn = "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";
  return c;
}

credentials idc() {
  credentials c;
  c.method = auth_method::idc;
  c.access_token = "idc-access";
  c.refresh_token = "idc-refresh-token";
  c.client_id = "client-1";
  c.client_secret = "secret-1";
  return c;
}

std::string header(const std::vector<std::pair<std::string, std::string>>& hs,
                   std::string_view name) {
  for (auto& [k, v] : hs)
    if (k == name)
      return v;
  return "<missing>";
}

bool mentions_token(const upstream_failure& f) {
  return f.message.find("aor-") != std::string::npos ||
         f.message.find("idc-refresh") != std::string::npos;
}

constexpr int64_t now = 1'767'225'600'000; // 2026-01-01T00:00:00Z

} // namespace

TEST_CASE("a social refresh posts the refresh token as JSON to the social URL") {
  auto call = refresh_call(social(), "https://auth/refreshToken", "https://oidc/token",
                           "mid", "0.11.107");
  CHECK(call.method == "POST");
  CHECK(call.url == "https://auth/refreshToken");
  CHECK(json::parse(call.body) == json::parse(R"({"refreshToken":"aor-refresh-token-0123456789"})"));
  CHECK(header(call.headers, "User-Agent") == "KiroIDE-0.11.107-mid");
}

TEST_CASE("an IdC refresh is SSO-OIDC CreateToken in camelCase JSON") {
  auto call = refresh_call(idc(), "https://auth/refreshToken", "https://oidc/token",
                           "mid", "0.11.107");
  CHECK(call.url == "https://oidc/token");
  CHECK(json::parse(call.body) ==
        json::parse(R"({"clientId":"client-1","clientSecret":"secret-1","refreshToken":"idc-refresh-token","grantType":"refresh_token"})"));
  CHECK(header(call.headers, "Content-Type") == "application/json");
}

TEST_CASE("a refresh response yields the new token, rotation and expiry") {
  auto r = parse_refresh_response(
    auth_method::social, 200,
    R"({"accessToken":"new-a","refreshToken":"new-r","profileArn":"arn:x","expiresIn":1800})", now);
  REQUIRE(std::holds_alternative<refreshed>(r));
  auto& v = std::get<refreshed>(r);
  CHECK(v.access_token == "new-a");
  CHECK(v.refresh_token == "new-r");
  CHECK(v.profile_arn == "arn:x");
  CHECK(v.expires_at_ms == now + 1'800'000);
}

TEST_CASE("a refresh response without a new refresh token keeps the old one") {
  auto r = parse_refresh_response(auth_method::idc, 200,
                                  R"({"accessToken":"new-a","expiresIn":3600,"tokenType":"Bearer"})", now);
  REQUIRE(std::holds_alternative<refreshed>(r));
  CHECK(std::get<refreshed>(r).refresh_token.empty());
  CHECK(std::get<refreshed>(r).expires_at_ms == now + 3'600'000);
}

TEST_CASE("a dead refresh token is rejected for good, other failures are transient") {
  auto grant = parse_refresh_response(
    auth_method::idc, 400,
    R"({"error":"invalid_grant","error_description":"Invalid refresh token provided"})", now);
  REQUIRE(std::holds_alternative<upstream_failure>(grant));
  CHECK(std::get<upstream_failure>(grant).cls == failure_class::refresh_rejected);
  CHECK_FALSE(mentions_token(std::get<upstream_failure>(grant)));
  auto social401 = parse_refresh_response(auth_method::social, 401, "{}", now);
  CHECK(std::get<upstream_failure>(social401).cls == failure_class::refresh_rejected);
  auto busy = parse_refresh_response(auth_method::social, 503, "<html>busy</html>", now);
  CHECK(std::get<upstream_failure>(busy).cls == failure_class::refresh_failed);
  auto garbage = parse_refresh_response(auth_method::social, 200, "not json", now);
  CHECK(std::get<upstream_failure>(garbage).cls == failure_class::refresh_failed);
  auto empty = parse_refresh_response(auth_method::social, 200, "{}", now);
  CHECK(std::get<upstream_failure>(empty).cls == failure_class::refresh_failed);
}

TEST_CASE("refresh is due a buffer before expiry, at once when expired or unknown") {
  CHECK(refresh_delay_ms(now + 3'600'000, now, 300) == 3'300'000);
  CHECK(refresh_delay_ms(now + 200'000, now, 300) == 0);
  CHECK(refresh_delay_ms(now - 1, now, 300) == 0);
  CHECK(refresh_delay_ms(0, now, 300) == 0);
  auto c = social();
  c.expires_at_ms = now + 3'600'000;
  CHECK_FALSE(needs_refresh(c, now, 300));
  c.access_token.clear();
  CHECK(needs_refresh(c, now, 300));
}

TEST_CASE("retry backoff doubles, is capped, and its jitter stays within 20 percent") {
  for (uint64_t seed : {0ull, 7ull, 12345ull, ~0ull}) {
    CHECK(retry_backoff_ms(1, seed) >= 800);
    CHECK(retry_backoff_ms(1, seed) <= 1200);
    CHECK(retry_backoff_ms(3, seed) >= 3200);
    CHECK(retry_backoff_ms(3, seed) <= 4800);
    CHECK(retry_backoff_ms(20, seed) <= 72000);
    CHECK(retry_backoff_ms(20, seed) >= 48000);
  }
  CHECK(retry_backoff_ms(2, 42) == retry_backoff_ms(2, 42));
}

TEST_CASE("truncated refresh tokens are flagged") {
  CHECK(implausible_refresh_token("aor-abc...xyz", 10).has_value());
  CHECK(implausible_refresh_token("short", 100).has_value());
  CHECK_FALSE(implausible_refresh_token(std::string(120, 'a'), 100).has_value());
}

TEST_CASE("the usage call carries profileArn for social accounts only") {
  auto s = usage_call(social(), "https://q.us-east-1.amazonaws.com/", "mid", "0.11.107");
  CHECK(s.method == "GET");
  CHECK(s.url ==
        "https://q.us-east-1.amazonaws.com/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST"
        "&isEmailRequired=true&profileArn=arn%3Aaws%3Acodewhisperer%3Aus-east-1%3A699475941385%3Aprofile%2FEHGA3GRVQMUK");
  auto i = usage_call(idc(), "https://q", "mid", "0.11.107");
  CHECK(i.url.find("profileArn") == std::string::npos);
  CHECK(header(i.headers, "Authorization") == "Bearer idc-access");
}

TEST_CASE("usage limits add an active free trial and active bonuses") {
  auto body = R"({"usageBreakdownList":[{"resourceType":"CREDIT","currentUsage":50,
    "currentUsageWithPrecision":50.0,"usageLimit":50,"usageLimitWithPrecision":50.0,
    "nextDateReset":1769904000,
    "freeTrialInfo":{"freeTrialStatus":"ACTIVE","currentUsageWithPrecision":100.0,"usageLimitWithPrecision":500.0},
    "bonuses":[{"status":"ACTIVE","currentUsage":10,"usageLimit":50},{"status":"EXPIRED","currentUsage":5,"usageLimit":100}]}],
    "subscriptionInfo":{"subscriptionTitle":"KIRO FREE","type":"Q_DEVELOPER_STANDALONE_FREE"},
    "overageConfiguration":{"overageStatus":"DISABLED"},"userInfo":{"email":"u@example.com","userId":"x"}})";
  auto r = parse_usage_limits(200, body);
  REQUIRE(std::holds_alternative<usage_limits>(r));
  auto& u = std::get<usage_limits>(r);
  CHECK(u.limit == doctest::Approx(600));
  CHECK(u.used == doctest::Approx(160));
  CHECK(u.percent_used == doctest::Approx(160.0 / 600 * 100));
  CHECK(u.next_reset_ms == 1'769'904'000'000);
  CHECK(u.subscription_title == "KIRO FREE");
  CHECK(u.email == "u@example.com");
  CHECK_FALSE(u.overage_enabled);
}

TEST_CASE("usage limits accept ISO reset dates, expired trials and cap at 100 percent") {
  auto r = parse_usage_limits(200, R"({"usageBreakdownList":[{"currentUsage":70,"usageLimit":50,
    "freeTrialInfo":{"freeTrialStatus":"EXPIRED","usageLimit":500}}],
    "nextDateReset":"2026-02-01T00:00:00Z"})");
  auto& u = std::get<usage_limits>(r);
  CHECK(u.limit == 50);
  CHECK(u.percent_used == 100);
  CHECK(u.next_reset_ms == 1'769'904'000'000);
}

TEST_CASE("usage failures are classified like chat failures") {
  CHECK(std::get<upstream_failure>(parse_usage_limits(403,
          R"({"message":"The bearer token included in the request is invalid.","reason":null})"))
          .cls == failure_class::invalid_bearer);
  CHECK(std::get<upstream_failure>(parse_usage_limits(500, "oops")).cls ==
        failure_class::server_error);
  CHECK(std::get<upstream_failure>(parse_usage_limits(200, "[1,2")).cls ==
        failure_class::server_error);
}

TEST_CASE("monthly quotas reset on the first of next month, also across December") {
  CHECK(next_month_reset_ms(now) == 1'769'904'000'000);             // 2026-02-01
  CHECK(next_month_reset_ms(1'796'083'200'000) == 1'798'761'600'000); // 2026-12-01 → 2027-01-01
}

TEST_CASE("chat headers imitate the Kiro IDE and keep the connection alive") {
  auto hs = chat_headers(social(), "abc", "0.11.107", "inv-1");
  CHECK(header(hs, "Authorization") == "Bearer aoa-access-token-0123456789");
  CHECK(header(hs, "x-amz-user-agent") == "aws-sdk-js/1.0.34 KiroIDE-0.11.107-abc");
  CHECK(header(hs, "user-agent").find("api/codewhispererstreaming#1.0.34") != std::string::npos);
  CHECK(header(hs, "amz-sdk-invocation-id") == "inv-1");
  CHECK(header(hs, "x-amzn-kiro-agent-mode") == "vibe");
  CHECK(header(hs, "Connection") == "<missing>");
}

TEST_CASE("the machine id is a stable 64-hex digest of the account id") {
  auto a = machine_id("acct-1");
  CHECK(a.size() == 64);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a == machine_id("acct-1"));
  CHECK(a != machine_id("acct-2"));
}

TEST_CASE("secrets are masked to their last four characters") {
  CHECK(mask_secret("aor-0123456789abcd") == "****abcd");
  CHECK(mask_secret("short") == "****");
}

TEST_CASE("a Kiro IDE social token file imports with its ISO expiry") {
  auto r = parse_kiro_auth_token_file(
    R"({"accessToken":"a","refreshToken":"r","expiresAt":"2026-01-01T01:00:00.123456789+00:00",
        "authMethod":"social","provider":"Google","profileArn":"arn:p"})", "");
  REQUIRE(std::holds_alternative<credentials>(r));
  auto& c = std::get<credentials>(r);
  CHECK(c.method == auth_method::social);
  CHECK(c.expires_at_ms == now + 3'600'123);
  CHECK(c.profile_arn == "arn:p");
}

TEST_CASE("an IdC token file needs its client registration") {
  auto token = R"({"accessToken":"a","refreshToken":"r","expiresAt":"2026-01-01T00:00:00Z",
                   "authMethod":"IdC","provider":"BuilderId","region":"us-east-1","clientIdHash":"h"})";
  auto missing = parse_kiro_auth_token_file(token, "");
  REQUIRE(std::holds_alternative<std::string>(missing));
  CHECK(std::get<std::string>(missing).find("client registration") != std::string::npos);
  auto r = parse_kiro_auth_token_file(token, R"({"clientId":"cid","clientSecret":"cs","expiresAt":"2026-03-01T00:00:00Z"})");
  REQUIRE(std::holds_alternative<credentials>(r));
  CHECK(std::get<credentials>(r).method == auth_method::idc);
  CHECK(std::get<credentials>(r).client_id == "cid");
  CHECK(std::get<std::string>(parse_kiro_auth_token_file("[]", "")).find("not a JSON object") != std::string::npos);
}
