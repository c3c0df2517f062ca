#include <doctest/doctest.h>

#include <climits>
#include <set>

#include "tests/unit/account/test_support.hpp"

using namespace kb;
using namespace kb::account;
using namespace kb::account::test;

namespace {

upstream_failure failure_of(const std::variant<refreshed, upstream_failure>& r) {
  REQUIRE(std::holds_alternative<upstream_failure>(r));
  return std::get<upstream_failure>(r);
}

refreshed success_of(const std::variant<refreshed, upstream_failure>& r) {
  REQUIRE(std::holds_alternative<refreshed>(r));
  return std::get<refreshed>(r);
}

} // namespace

TEST_CASE("a social refresh posts only the refresh token to the social URL with Kiro's headers") {
  auto call = refresh_call(social_account(),
                           "https://prod.us-east-1.auth.desktop.kiro.dev/refreshToken",
                           "https://oidc.eu-west-1.amazonaws.com/token", "mid64", "0.11.107");
  CHECK(call.method == "POST");
  CHECK(call.url == "https://prod.us-east-1.auth.desktop.kiro.dev/refreshToken");
  CHECK(call.body == R"({"refreshToken":")" + std::string{social_refresh_token} + R"("})");
  CHECK(call.headers == header_list{{"Content-Type", "application/json"},
                                    {"Accept", "application/json, text/plain, */*"},
                                    {"User-Agent", "KiroIDE-0.11.107-mid64"}});
}

TEST_CASE("an IdC refresh is SSO-OIDC CreateToken with a camelCase JSON body") {
  auto call = refresh_call(idc_account(), "https://social/refreshToken",
                           "https://oidc.eu-west-1.amazonaws.com/token", "mid64", "0.11.107");
  CHECK(call.method == "POST");
  CHECK(call.url == "https://oidc.eu-west-1.amazonaws.com/token");
  CHECK(call.body == R"({"clientId":"client-1","clientSecret":"secret-1","refreshToken":")" +
                       std::string{idc_refresh_token} + R"(","grantType":"refresh_token"})");
  CHECK(call.headers ==
        header_list{{"Content-Type", "application/json"},
                    {"x-amz-user-agent", "aws-sdk-js/3.980.0 KiroIDE"},
                    {"user-agent", "aws-sdk-js/3.980.0 ua/2.1 os/linux#6.1 lang/js "
                                   "md/nodejs#22.22.0 api/sso-oidc#3.980.0 m/E KiroIDE"},
                    {"amz-sdk-request", "attempt=1; max=4"}});
}

TEST_CASE("a refresh token with quotes and control characters is escaped in the JSON body") {
  auto c = social_account();
  c.refresh_token = "a\"b\\c\nd";
  auto call = refresh_call(c, "https://s", "https://i", "m", "v");
  CHECK(call.body == R"({"refreshToken":"a\"b\\c\nd"})");
}

TEST_CASE("a social refresh answer yields the new access token, the rotated refresh token and profileArn") {
  auto r = parse_refresh_response(
    auth_method::social, 200,
    R"({"accessToken":"aoa-new","refreshToken":"aor-new","profileArn":"arn:x","expiresIn":3600})",
    jan_1_2026_ms);
  auto v = success_of(r);
  CHECK(v.access_token == "aoa-new");
  CHECK(v.refresh_token == "aor-new");
  CHECK(v.profile_arn == "arn:x");
  CHECK(v.expires_at_ms == jan_1_2026_ms + 3'600'000);
}

TEST_CASE("an IdC refresh answer without refreshToken or profileArn leaves both unchanged") {
  auto r = parse_refresh_response(
    auth_method::idc, 200,
    R"({"accessToken":"idc-new","expiresIn":1800,"tokenType":"Bearer","idToken":"x"})",
    jan_1_2026_ms);
  auto v = success_of(r);
  CHECK(v.access_token == "idc-new");
  CHECK(v.refresh_token == "");
  CHECK(v.profile_arn == "");
  CHECK(v.expires_at_ms == jan_1_2026_ms + 1'800'000);
}

TEST_CASE("a 200 refresh answer without accessToken or expiresIn is a transient failure") {
  auto no_access = failure_of(
    parse_refresh_response(auth_method::social, 200, R"({"expiresIn":3600})", jan_1_2026_ms));
  CHECK(no_access.cls == failure_class::refresh_failed);
  CHECK(no_access.http_status == 200);
  CHECK(no_access.message == "social token refresh answered HTTP 200 without an accessToken");

  auto no_expiry = failure_of(
    parse_refresh_response(auth_method::idc, 200, R"({"accessToken":"idc-new"})", jan_1_2026_ms));
  CHECK(no_expiry.cls == failure_class::refresh_failed);
  CHECK(no_expiry.message == "IdC token refresh answered HTTP 200 without a valid expiresIn");

  for (auto bad : {R"({"accessToken":"a","expiresIn":"3600"})", R"({"accessToken":"a","expiresIn":0})",
                   R"({"accessToken":"a","expiresIn":-5})", R"({"accessToken":"a","expiresIn":1e300})"})
    CHECK(failure_of(parse_refresh_response(auth_method::social, 200, bad, 0)).cls ==
          failure_class::refresh_failed);
}

TEST_CASE("a 200 refresh answer that is not a JSON object is a transient failure") {
  for (auto body : {"", "not json", "[1,2]", "{\"accessToken\":", "null"}) {
    auto f = failure_of(parse_refresh_response(auth_method::social, 200, body, jan_1_2026_ms));
    CHECK(f.cls == failure_class::refresh_failed);
    CHECK(f.message == "social token refresh answered HTTP 200 with a body that is not a JSON object");
  }
}

TEST_CASE("invalid_grant from SSO-OIDC means the refresh token is dead") {
  auto f = failure_of(parse_refresh_response(
    auth_method::idc, 400,
    R"({"error":"invalid_grant","error_description":"Invalid refresh token provided"})",
    jan_1_2026_ms));
  CHECK(f.cls == failure_class::refresh_rejected);
  CHECK(f.http_status == 400);
  CHECK(f.message == "IdC token refresh rejected the refresh token (HTTP 400, invalid_grant: "
                     "Invalid refresh token provided); log in to Kiro again and re-import the account");
}

TEST_CASE("an InvalidGrantException type or Kiro's text alone also marks the token dead") {
  CHECK(failure_of(parse_refresh_response(auth_method::idc, 400,
                                          R"({"__type":"InvalidGrantException","message":"x"})", 0))
          .cls == failure_class::refresh_rejected);
  CHECK(failure_of(parse_refresh_response(auth_method::social, 400,
                                          R"({"message":"Invalid refresh token provided"})", 0))
          .cls == failure_class::refresh_rejected);
}

TEST_CASE("a social 401 means the refresh token is dead, an IdC 401 is transient") {
  auto social = failure_of(parse_refresh_response(auth_method::social, 401, "{}", 0));
  CHECK(social.cls == failure_class::refresh_rejected);
  CHECK(social.message == "social token refresh rejected the refresh token (HTTP 401, "
                          "unrecognised error body); log in to Kiro again and re-import the account");
  CHECK(failure_of(parse_refresh_response(auth_method::idc, 401, "{}", 0)).cls ==
        failure_class::refresh_failed);
}

TEST_CASE("throttling, server errors, other 400s and garbage are transient refresh failures") {
  auto throttled = failure_of(parse_refresh_response(
    auth_method::social, 429, R"({"message":"Too many requests"})", 0));
  CHECK(throttled.cls == failure_class::refresh_failed);
  CHECK(throttled.http_status == 429);
  CHECK(throttled.message == "social token refresh failed (HTTP 429, Too many requests)");

  auto busy = failure_of(parse_refresh_response(auth_method::idc, 503, "<html>busy</html>", 0));
  CHECK(busy.cls == failure_class::refresh_failed);
  CHECK(busy.message == "IdC token refresh failed (HTTP 503, unrecognised error body)");

  CHECK(failure_of(parse_refresh_response(auth_method::idc, 500, "", 0)).cls ==
        failure_class::refresh_failed);
  CHECK(failure_of(parse_refresh_response(auth_method::idc, 400,
                                          R"({"error":"invalid_request"})", 0))
          .cls == failure_class::refresh_failed);
}

TEST_CASE("refresh failure messages never repeat a token the server echoed") {
  std::string echoed = R"({"error":"invalid_grant","error_description":"Invalid refresh token provided: )" +
                       std::string{social_refresh_token} + R"("})";
  auto dead = failure_of(parse_refresh_response(auth_method::social, 400, echoed, 0));
  CHECK(dead.cls == failure_class::refresh_rejected);
  CHECK_FALSE(mentions(dead.message, social_refresh_token));
  CHECK(mentions(dead.message, "Invalid refresh token provided: ****"));

  std::string busy = R"({"message":"cannot refresh )" + std::string{idc_refresh_token} + R"("})";
  auto transient = failure_of(parse_refresh_response(auth_method::idc, 500, busy, 0));
  CHECK_FALSE(mentions(transient.message, idc_refresh_token));
}

TEST_CASE("a refresh is due a buffer before expiry") {
  CHECK(refresh_delay_ms(jan_1_2026_ms + 3'600'000, jan_1_2026_ms, 300) == 3'300'000);
  CHECK(refresh_delay_ms(jan_1_2026_ms + 300'001, jan_1_2026_ms, 300) == 1);
}

TEST_CASE("a refresh is due at once within the buffer, when expired, or when the expiry is unknown") {
  CHECK(refresh_delay_ms(jan_1_2026_ms + 300'000, jan_1_2026_ms, 300) == 0);
  CHECK(refresh_delay_ms(jan_1_2026_ms + 200'000, jan_1_2026_ms, 300) == 0);
  CHECK(refresh_delay_ms(jan_1_2026_ms - 1, jan_1_2026_ms, 300) == 0);
  CHECK(refresh_delay_ms(0, jan_1_2026_ms, 300) == 0);
  CHECK(refresh_delay_ms(-5, jan_1_2026_ms, 300) == 0);
}

TEST_CASE("a negative or huge refresh buffer does not overflow") {
  CHECK(refresh_delay_ms(jan_1_2026_ms + 10'000, jan_1_2026_ms, -100) == 10'000);
  CHECK(refresh_delay_ms(jan_1_2026_ms + 10'000, jan_1_2026_ms, LLONG_MAX) == 0);
}

TEST_CASE("needs_refresh is true without an access token or inside the buffer") {
  auto c = social_account();
  c.expires_at_ms = jan_1_2026_ms + 3'600'000;
  CHECK_FALSE(needs_refresh(c, jan_1_2026_ms, 300));
  CHECK(needs_refresh(c, jan_1_2026_ms + 3'300'000, 300));
  c.expires_at_ms = 0;
  CHECK(needs_refresh(c, jan_1_2026_ms, 300));
  c.expires_at_ms = jan_1_2026_ms + 3'600'000;
  c.access_token.clear();
  CHECK(needs_refresh(c, jan_1_2026_ms, 300));
}

TEST_CASE("retry backoff doubles from one second and is capped at sixty seconds before jitter") {
  for (uint64_t seed : {0ull, 1ull, 7ull, 12345ull, ~0ull}) {
    int64_t expected_base = 1000;
    for (int attempt = 1; attempt <= 12; ++attempt) {
      auto d = retry_backoff_ms(attempt, seed);
      CHECK(d >= expected_base * 8 / 10);
      CHECK(d <= expected_base * 12 / 10);
      expected_base = std::min<int64_t>(expected_base * 2, 60'000);
    }
    CHECK(retry_backoff_ms(INT_MAX, seed) <= 72'000);
    CHECK(retry_backoff_ms(INT_MAX, seed) >= 48'000);
  }
}

TEST_CASE("retry backoff never decreases with the attempt number") {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    int64_t previous = 0;
    for (int attempt = 1; attempt <= 40; ++attempt) {
      auto d = retry_backoff_ms(attempt, seed);
      CHECK(d >= previous);
      previous = d;
    }
  }
}

TEST_CASE("retry backoff jitter is deterministic per seed and varies across seeds") {
  CHECK(retry_backoff_ms(3, 42) == retry_backoff_ms(3, 42));
  std::set<int64_t> distinct;
  for (uint64_t seed = 0; seed < 50; ++seed)
    distinct.insert(retry_backoff_ms(3, seed));
  CHECK(distinct.size() > 40);
  CHECK(*distinct.begin() >= 3'200);
  CHECK(*distinct.rbegin() <= 4'800);
}

TEST_CASE("attempt zero or negative waits like the first attempt") {
  CHECK(retry_backoff_ms(0, 9) == retry_backoff_ms(1, 9));
  CHECK(retry_backoff_ms(-3, 9) == retry_backoff_ms(1, 9));
}

TEST_CASE("a refresh token truncated by the IDE is not plausible, and says why") {
  std::string why;
  CHECK_FALSE(plausible_refresh_token("aorAAAA...xyz", 5, &why));
  CHECK(why == "the refresh token contains \"...\": it was truncated when copied");
  CHECK_FALSE(plausible_refresh_token(std::string(99, 'a'), 100, &why));
  CHECK(why == "the refresh token is only 99 characters long (expected at least 100): "
               "it may have been truncated");
  CHECK_FALSE(plausible_refresh_token(std::string(99, 'a')));
  CHECK_FALSE(plausible_refresh_token("", 1));
}

TEST_CASE("a full-length refresh token, or a short one with a lower limit, is plausible") {
  std::string why = "untouched";
  CHECK(plausible_refresh_token(std::string(100, 'a'), 100, &why));
  CHECK(why == "untouched");
  CHECK(plausible_refresh_token("sim-refresh-1", 8));
}
