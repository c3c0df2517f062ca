#include <doctest/doctest.h>

#include "tests/unit/account/test_support.hpp"

using namespace kb;
using namespace kb::account;
using namespace kb::account::test;

namespace {

usage_limits usage_of(const std::variant<usage_limits, upstream_failure>& r) {
  REQUIRE(std::holds_alternative<usage_limits>(r));
  return std::get<usage_limits>(r);
}

upstream_failure failure_of(const std::variant<usage_limits, upstream_failure>& r) {
  REQUIRE(std::holds_alternative<upstream_failure>(r));
  return std::get<upstream_failure>(r);
}

// kiro-protocol.md §6, with the free trial ACTIVE and one ACTIVE and one
// EXPIRED bonus.
constexpr const char* section6_sample = R"({"usageBreakdownList":[{"resourceType":"CREDIT",
  "displayName":"Credit","displayNamePlural":"Credits","unit":"INVOCATIONS","currency":"USD",
  "currentUsage":50,"currentUsageWithPrecision":49.75,"usageLimit":50,"usageLimitWithPrecision":50.0,
  "currentOverages":0,"currentOveragesWithPrecision":0.0,"overageCap":10000,
  "overageCapWithPrecision":10000.0,"overageRate":0.04,"overageCharges":0.0,"nextDateReset":1769904000,
  "freeTrialInfo":{"freeTrialStatus":"ACTIVE","freeTrialExpiry":1769000000,"currentUsage":100,
    "currentUsageWithPrecision":100.5,"usageLimit":500,"usageLimitWithPrecision":500.0},
  "bonuses":[{"bonusCode":"WELCOME","displayName":"Welcome","currentUsage":10,"usageLimit":50,
    "status":"ACTIVE","expiresAt":1769000000},
   {"bonusCode":"OLD","displayName":"Old","currentUsage":5,"usageLimit":100,"status":"EXPIRED"}]}],
 "nextDateReset":1769904000,"daysUntilReset":0,"limits":[],
 "subscriptionInfo":{"subscriptionTitle":"KIRO FREE","type":"Q_DEVELOPER_STANDALONE_FREE",
   "overageCapability":"OVERAGE_INCAPABLE","upgradeCapability":"UPGRADE_CAPABLE",
   "subscriptionManagementTarget":"PURCHASE"},
 "overageConfiguration":{"overageStatus":"DISABLED"},"userInfo":{"email":"u@example.com","userId":"x"}})";

} // namespace

TEST_CASE("the usage call for a social account carries its URL-encoded profileArn") {
  auto call = usage_call(social_account(), "https://q.us-east-1.amazonaws.com/", "mid64", "0.11.107");
  CHECK(call.method == "GET");
  CHECK(call.url ==
        "https://q.us-east-1.amazonaws.com/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST"
        "&isEmailRequired=true&profileArn=arn%3Aaws%3Acodewhisperer%3Aus-east-1%3A699475941385%3Aprofile%2FEHGA3GRVQMUK");
  CHECK(call.body == "");
  CHECK(call.headers ==
        header_list{{"Authorization", "Bearer aoaAAAAAGk-access-0123456789abcdefghij"},
                    {"x-amz-user-agent", "aws-sdk-js/1.0.0 KiroIDE-0.11.107-mid64"},
                    {"user-agent", "aws-sdk-js/1.0.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#22.22.0 "
                                   "api/codewhispererruntime#1.0.0 m/N,E KiroIDE-0.11.107-mid64"},
                    {"amz-sdk-request", "attempt=1; max=1"}});
}

TEST_CASE("the usage call for an IdC account never carries profileArn") {
  auto call = usage_call(idc_account(), "http://127.0.0.1:9000/base", "m", "v");
  CHECK(call.url == "http://127.0.0.1:9000/base/getUsageLimits?origin=AI_EDITOR"
                    "&resourceType=AGENTIC_REQUEST&isEmailRequired=true");
  CHECK(header(call.headers, "Authorization") == "Bearer idc-access");
}

TEST_CASE("usage limits add the first breakdown, an active free trial and active bonuses") {
  auto u = usage_of(parse_usage_limits(200, section6_sample));
  CHECK(u.limit == doctest::Approx(50.0 + 500.0 + 50.0));
  CHECK(u.used == doctest::Approx(49.75 + 100.5 + 10.0));
  CHECK(u.percent_used == doctest::Approx(160.25 / 600.0 * 100.0));
  CHECK(u.next_reset_ms == 1'769'904'000'000);
  CHECK(u.subscription_title == "KIRO FREE");
  CHECK(u.subscription_type == "Q_DEVELOPER_STANDALONE_FREE");
  CHECK(u.email == "u@example.com");
  CHECK_FALSE(u.overage_enabled);
}

TEST_CASE("an expired free trial does not count and usage above the limit caps at 100 percent") {
  auto u = usage_of(parse_usage_limits(200, R"({"usageBreakdownList":[{"currentUsage":70,
    "usageLimit":50,"freeTrialInfo":{"freeTrialStatus":"EXPIRED","currentUsage":1,"usageLimit":500}}],
    "overageConfiguration":{"overageStatus":"ENABLED"}})"));
  CHECK(u.limit == 50);
  CHECK(u.used == 70);
  CHECK(u.percent_used == 100);
  CHECK(u.next_reset_ms == 0);
  CHECK(u.overage_enabled);
  CHECK(u.email == "");
}

TEST_CASE("an ISO nextDateReset is read as UTC milliseconds") {
  auto u = usage_of(parse_usage_limits(
    200, R"({"usageBreakdownList":[{"currentUsage":1,"usageLimit":4,"nextDateReset":"2026-02-01T00:00:00.000Z"}]})"));
  CHECK(u.next_reset_ms == 1'769'904'000'000);
  CHECK(u.percent_used == 25);
}

TEST_CASE("a fractional epoch-seconds nextDateReset at the top level wins over the breakdown's") {
  auto u = usage_of(parse_usage_limits(
    200, R"({"usageBreakdownList":[{"usageLimit":4,"nextDateReset":1}],"nextDateReset":1769904000.5})"));
  CHECK(u.next_reset_ms == 1'769'904'000'500);
}

TEST_CASE("the SDK's limits list is used when there is no usage breakdown") {
  auto u = usage_of(parse_usage_limits(
    200, R"({"limits":[{"currentUsage":30,"totalUsageLimit":120,"percentUsed":25}]})"));
  CHECK(u.used == 30);
  CHECK(u.limit == 120);
  CHECK(u.percent_used == 25);
}

TEST_CASE("usage without a limit reports zero percent rather than dividing by zero") {
  auto u = usage_of(parse_usage_limits(200, R"({"usageBreakdownList":[{"currentUsage":3}]})"));
  CHECK(u.limit == 0);
  CHECK(u.percent_used == 0);
  auto empty = usage_of(parse_usage_limits(200, "{}"));
  CHECK(empty.used == 0);
  CHECK(empty.percent_used == 0);
}

TEST_CASE("mistyped usage fields read as absent") {
  auto u = usage_of(parse_usage_limits(200, R"({"usageBreakdownList":[{"currentUsage":"lots",
    "usageLimit":10,"freeTrialInfo":"ACTIVE","bonuses":{"x":1},"nextDateReset":"soon"}],
    "subscriptionInfo":[],"userInfo":{"email":5}})"));
  CHECK(u.used == 0);
  CHECK(u.limit == 10);
  CHECK(u.next_reset_ms == 0);
  CHECK(u.subscription_title == "");
  CHECK(u.email == "");
}

TEST_CASE("a 200 usage answer that is not a JSON object is a server error") {
  for (auto body : {"[1,2", "", "[]", "<html/>"}) {
    auto f = failure_of(parse_usage_limits(200, body));
    CHECK(f.cls == failure_class::server_error);
    CHECK(f.message == "getUsageLimits answered with a body that is not a JSON object");
  }
}

TEST_CASE("usage failures are classified like chat failures") {
  auto bearer = failure_of(parse_usage_limits(
    403, R"({"message":"The bearer token included in the request is invalid.","reason":null})"));
  CHECK(bearer.cls == failure_class::invalid_bearer);
  CHECK(bearer.http_status == 403);
  CHECK(bearer.message ==
        "getUsageLimits answered HTTP 403: The bearer token included in the request is invalid.");

  CHECK(failure_of(parse_usage_limits(403, R"({"message":"Your User ID (x) temporarily is suspended."})"))
          .cls == failure_class::suspended);
  auto quota = failure_of(parse_usage_limits(
    402, R"({"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"})"));
  CHECK(quota.cls == failure_class::quota_exhausted);
  CHECK(quota.reason == "MONTHLY_REQUEST_COUNT");
  CHECK(failure_of(parse_usage_limits(429, R"({"message":"Too many requests"})")).cls ==
        failure_class::throttled);
  CHECK(failure_of(parse_usage_limits(401, "")).cls == failure_class::invalid_bearer);
  CHECK(failure_of(parse_usage_limits(500, "oops")).cls == failure_class::server_error);
  CHECK(failure_of(parse_usage_limits(400, R"({"message":"Improperly formed request."})")).cls ==
        failure_class::bad_request);
}

TEST_CASE("the model list call and its answer follow ListAvailableModels") {
  kb::account::credentials c;
  c.access_token = "tok";
  c.profile_arn = "arn:aws:codewhisperer:us-east-1:1:profile/X";
  auto call = kb::account::models_call(c, "https://q.example/", "mid", "0.11.107");
  CHECK(call.method == "GET");
  CHECK(call.url ==
        "https://q.example/ListAvailableModels?origin=AI_EDITOR&profileArn="
        "arn%3Aaws%3Acodewhisperer%3Aus-east-1%3A1%3Aprofile%2FX");
  auto ok = kb::account::parse_available_models(
    200, R"({"models":[{"modelId":"auto"},{"modelId":"claude-sonnet-4.5","modelName":"x"},7],"defaultModel":{"modelId":"auto"}})");
  REQUIRE(std::holds_alternative<std::vector<std::string>>(ok));
  CHECK(std::get<std::vector<std::string>>(ok) ==
        std::vector<std::string>{"auto", "claude-sonnet-4.5"});
  auto bad = kb::account::parse_available_models(200, "{}");
  CHECK(std::get<kb::upstream_failure>(bad).cls == kb::failure_class::server_error);
  auto denied = kb::account::parse_available_models(
    403, R"({"message":"The bearer token included in the request is invalid.","reason":null})");
  CHECK(std::get<kb::upstream_failure>(denied).cls == kb::failure_class::invalid_bearer);
}
