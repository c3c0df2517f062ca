#include <doctest/doctest.h>

#include <string>

#include "shared/upstream/failures.hpp"

using namespace kb;
using namespace kb::upstream;

TEST_CASE("400 Input is too long is input_too_long and reaches the client as prompt is too long") {
  auto f = classify_http_failure(400, R"({"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"})");
  CHECK(f.cls == failure_class::input_too_long);
  CHECK(f.http_status == 400);
  CHECK(f.reason == "CONTENT_LENGTH_EXCEEDS_THRESHOLD");
  CHECK(f.message == "Input is too long.");
  auto err = to_client_error(f);
  CHECK(err.status() == 400);
  CHECK(err.type() == "invalid_request_error");
  CHECK(err.message.starts_with("prompt is too long: Kiro rejected the input (CONTENT_LENGTH_EXCEEDS_THRESHOLD)"));
  CHECK(classify_http_failure(400, R"({"message":"Input is too long.","reason":null})").cls ==
        failure_class::input_too_long);
}

TEST_CASE("400 profileArn required is the account's problem; Improperly formed request the client's") {
  auto arn = classify_http_failure(400, R"({"message":"profileArn is required for this request.","reason":null})");
  CHECK(arn.cls == failure_class::bad_request);
  CHECK(arn.reason.empty());
  CHECK(is_profile_arn_required(arn));
  CHECK_FALSE(is_account_denial(arn));
  auto err = to_client_error(arn);
  CHECK(err.status() == 529);
  CHECK(err.message.find("profileArn") != std::string::npos);

  auto formed = classify_http_failure(400, R"({"message":"Improperly formed request.","reason":null})");
  CHECK(formed.cls == failure_class::bad_request);
  CHECK(formed.message == "Improperly formed request.");
  auto model = classify_http_failure(400, R"({"message":"Invalid model.","reason":"INVALID_MODEL_ID"})");
  CHECK(to_client_error(model).message == "Kiro rejected the request (INVALID_MODEL_ID): Invalid model.");
}

TEST_CASE("402 monthly limit is quota_exhausted and reaches the client as 429 naming the quota") {
  auto f = classify_http_failure(402, R"({"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"})");
  CHECK(f.cls == failure_class::quota_exhausted);
  CHECK(f.reason == "MONTHLY_REQUEST_COUNT");
  auto err = to_client_error(f);
  CHECK(err.status() == 429);
  CHECK(err.type() == "rate_limit_error");
  CHECK(err.message == "Every Kiro account has used up its quota (MONTHLY_REQUEST_COUNT) until the quota resets");
}

TEST_CASE("ServiceQuotaExceeded reasons are quota_exhausted whatever the status") {
  CHECK(classify_http_failure(429, R"({"message":"x","reason":"MONTHLY_REQUEST_COUNT"})").cls ==
        failure_class::quota_exhausted);
  CHECK(classify_http_failure(400, R"({"message":"x","reason":"OVERAGE_REQUEST_LIMIT_EXCEEDED"})").cls ==
        failure_class::quota_exhausted);
  auto typed = classify_http_failure(400, R"({"__type":"com.amazon.aws.codewhisperer#ServiceQuotaExceededException","message":"quota"})");
  CHECK(typed.cls == failure_class::quota_exhausted);
  CHECK(typed.reason == "ServiceQuotaExceededException");
}

TEST_CASE("403 bearer token invalid and 401 are invalid_bearer and reach the client as 529") {
  auto f = classify_http_failure(403, R"({"message":"The bearer token included in the request is invalid.","reason":null})");
  CHECK(f.cls == failure_class::invalid_bearer);
  auto err = to_client_error(f);
  CHECK(err.status() == 529);
  CHECK(err.type() == "overloaded_error");
  CHECK(err.message == "No Kiro account could serve the request: Kiro rejected the account's access token");
  CHECK(classify_http_failure(401, "").cls == failure_class::invalid_bearer);
}

TEST_CASE("403 suspended accounts are suspended and the client never sees the account's user id") {
  auto f = classify_http_failure(403,
    R"({"__type":"AccessDeniedException","message":"Your User ID (d-9067642ac7.1234) temporarily is suspended. We've locked your account as a security precaution.","reason":"TEMPORARILY_SUSPENDED"})");
  CHECK(f.cls == failure_class::suspended);
  CHECK(f.reason == "TEMPORARILY_SUSPENDED");
  auto err = to_client_error(f);
  CHECK(err.status() == 529);
  CHECK(err.message == "No Kiro account could serve the request: the Kiro account is suspended or locked (TEMPORARILY_SUSPENDED)");
  CHECK(err.message.find("d-9067642ac7") == std::string::npos);
}

TEST_CASE("other 403s are bad requests, not bearer problems") {
  CHECK(classify_http_failure(403, R"({"message":"Invalid profileArn","reason":null})").cls == failure_class::bad_request);
  CHECK(classify_http_failure(403, R"({"message":"Not allowed","reason":"FEATURE_NOT_SUPPORTED"})").cls == failure_class::bad_request);
  CHECK(classify_http_failure(403, "Forbidden").cls == failure_class::bad_request);
}

TEST_CASE("an unrecognised 403 is an account denial reaching the client as 529, never Kiro's text") {
  for (auto body : {R"({"message":"AWS Builder ID is not supported for this operation.","reason":null})",
                    R"({"message":"User is not authorized to access this feature.","reason":null})",
                    R"({"message":"Invalid profileArn","reason":null})", "Forbidden"}) {
    auto f = classify_http_failure(403, body);
    CHECK(is_account_denial(f));
    auto err = to_client_error(f);
    CHECK(err.status() == 529);
    CHECK(err.message == "No Kiro account could serve the request: Kiro refused the account (HTTP 403)");
  }
  auto feature = classify_http_failure(403, R"({"message":"Not allowed","reason":"FEATURE_NOT_SUPPORTED"})");
  CHECK_FALSE(is_account_denial(feature));
  CHECK(to_client_error(feature).status() == 400);
  CHECK_FALSE(is_account_denial(classify_http_failure(400, R"({"message":"Improperly formed request."})")));
  CHECK_FALSE(is_account_denial(classify_http_failure(403, R"({"message":"The bearer token included in the request is invalid."})")));
  auto exception = classify_exception("AccessDeniedException", "User is not authorized to access this feature.");
  CHECK(is_account_denial(exception));
}

TEST_CASE("nested error bodies are read as peers read them") {
  auto wrapped = classify_http_failure(
    429, R"({"error":{"message":"Too many requests","reason":"DAILY_REQUEST_COUNT"}})");
  CHECK(wrapped.cls == failure_class::throttled);
  CHECK(wrapped.reason == "DAILY_REQUEST_COUNT");
  CHECK(wrapped.message == "Too many requests");
  auto output = classify_http_failure(
    400, R"({"Output":{"__type":"com.amazon.coral.service#ServiceQuotaExceededException","message":"quota"}})");
  CHECK(output.cls == failure_class::quota_exhausted);
  CHECK(output.message == "quota");
  auto suspended = classify_http_failure(
    403, R"({"error":{"message":"Account suspended","reason":"TEMPORARILY_SUSPENDED"}})");
  CHECK(suspended.cls == failure_class::suspended);
  auto text = classify_http_failure(500, R"({"error":"internal failure"})");
  CHECK(text.message == "internal failure");
}

TEST_CASE("Retry-After is read as delta-seconds or an HTTP-date, capped at an hour") {
  constexpr int64_t now = 784'111'777'000; // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parse_retry_after_ms("120", now) == 120'000);
  CHECK(parse_retry_after_ms(" 0 ", now) == 0);
  CHECK(parse_retry_after_ms("Sun, 06 Nov 1994 08:50:07 GMT", now) == 30'000);
  CHECK(parse_retry_after_ms("Sun, 06 Nov 1994 08:00:00 GMT", now) == 0);
  CHECK(parse_retry_after_ms("999999", now) == max_retry_after_ms);
  CHECK_FALSE(parse_retry_after_ms("", now).has_value());
  CHECK_FALSE(parse_retry_after_ms("-5", now).has_value());
  CHECK_FALSE(parse_retry_after_ms("soon", now).has_value());
}

TEST_CASE("429 answers are throttled and reach the client with retry-after") {
  auto f = classify_http_failure(429, R"({"message":"Too many requests, please wait before trying again.","reason":null})");
  CHECK(f.cls == failure_class::throttled);
  auto err = to_client_error(f, 7);
  CHECK(err.status() == 429);
  CHECK(err.retry_after == 7);
  CHECK(err.message == "Kiro is throttling requests: Too many requests, please wait before trying again.");
  CHECK(to_client_error(f).retry_after == default_throttle_retry_after);
  CHECK(classify_http_failure(429, R"({"message":"60-minute credit limit exceeded"})").cls == failure_class::throttled);
  CHECK(classify_http_failure(429, R"({"message":"x","reason":"INSUFFICIENT_MODEL_CAPACITY"})").cls == failure_class::throttled);
  CHECK(classify_http_failure(400, R"({"__type":"ThrottlingException","message":"slow"})").cls == failure_class::throttled);
}

TEST_CASE("a daily request count is throttled, keeping its reason for a longer cooldown") {
  auto f = classify_http_failure(429, R"({"message":"Daily limit","reason":"DAILY_REQUEST_COUNT"})");
  CHECK(f.cls == failure_class::throttled);
  CHECK(f.reason == "DAILY_REQUEST_COUNT");
}

TEST_CASE("5xx answers are server errors and reach the client as 529") {
  auto f = classify_http_failure(500, R"({"message":"Encountered unexpectedly high load when processing the request, please try again.","reason":null})");
  CHECK(f.cls == failure_class::server_error);
  auto err = to_client_error(f);
  CHECK(err.status() == 529);
  CHECK(err.message == "Kiro is overloaded or failing: Encountered unexpectedly high load when processing the request, please try again.");
  auto unavailable = classify_http_failure(503, R"({"__type":"ServiceUnavailableException","message":"down"})");
  CHECK(unavailable.cls == failure_class::server_error);
  CHECK(unavailable.reason == "ServiceUnavailableException");
  CHECK(classify_http_failure(500, R"({"message":"m","reason":"MODEL_TEMPORARILY_UNAVAILABLE"})").cls == failure_class::server_error);
}

TEST_CASE("other 4xx answers go back to the client as bad requests") {
  auto f = classify_http_failure(404, "<html>Not Found</html>");
  CHECK(f.cls == failure_class::bad_request);
  CHECK(f.message == "<html>Not Found</html>");
  CHECK(to_client_error(f).status() == 400);
}

TEST_CASE("a garbage body is kept as the message, trimmed and cut at 300 bytes on a UTF-8 boundary") {
  std::string body = "  " + std::string(299, 'x') + "\xC3\xA9" + std::string(100, 'y') + "\n";
  auto f = classify_http_failure(500, body);
  CHECK(f.message == std::string(299, 'x'));
  CHECK(classify_http_failure(502, "").message.empty());
  CHECK(classify_http_failure(502, "{\"message\":").message == "{\"message\":");
}

TEST_CASE("token-shaped strings never reach a failure message") {
  std::string token = "aoaAAAAAGhXYZ0123456789abcdefghijklmnop";
  auto f = classify_http_failure(403, R"({"message":"token )" + token + R"( is invalid, key ksk_0123456789abcdefghijkl"})");
  CHECK(f.message == "token [redacted] is invalid, key [redacted]");
  auto ex = classify_exception("ThrottlingException", "refresh aorAAAAAGhXYZ0123456789abcdefgh");
  CHECK(ex.message == "refresh [redacted]");
}

TEST_CASE("no HTTP status at all is a network failure reported as 500") {
  auto f = classify_http_failure(0, "connection reset");
  CHECK(f.cls == failure_class::network);
  auto err = to_client_error(f);
  CHECK(err.status() == 500);
  CHECK(err.type() == "api_error");
  CHECK(err.message == "Could not reach Kiro: connection reset");
}

TEST_CASE("mid-stream exceptions are classified by type") {
  auto length = classify_exception("ContentLengthExceededException", "Response too long");
  CHECK(length.cls == failure_class::none);
  CHECK(length.reason == "ContentLengthExceededException");
  CHECK(length.http_status == 0);
  CHECK(classify_exception("ThrottlingException", "Too many requests").cls == failure_class::throttled);
  CHECK(classify_exception("ThrottlingException", "Daily DAILY_REQUEST_COUNT reached").cls == failure_class::throttled);
  CHECK(classify_exception("ThrottlingException", "limit MONTHLY_REQUEST_COUNT").cls == failure_class::quota_exhausted);
  CHECK(classify_exception("ServiceQuotaExceededException", "x").cls == failure_class::quota_exhausted);
  CHECK(classify_exception("internalServerException", "boom").cls == failure_class::server_error);
  CHECK(classify_exception("com.amazon#InternalServerException", "boom").reason == "InternalServerException");
  CHECK(classify_exception("ValidationException", "Input is too long.").cls == failure_class::input_too_long);
  CHECK(classify_exception("ValidationException", "Improperly formed request.").cls == failure_class::bad_request);
  CHECK(classify_exception("AccessDeniedException", "Your account is suspended").cls == failure_class::suspended);
  CHECK(classify_exception("AccessDeniedException", "The bearer token included in the request is invalid.").cls == failure_class::invalid_bearer);
  CHECK(classify_exception("SomethingNewException", "?").cls == failure_class::server_error);
}

TEST_CASE("refresh failures reach the client as 529 naming the cause") {
  auto failed = to_client_error(upstream_failure{failure_class::refresh_failed, 0, "", ""});
  CHECK(failed.status() == 529);
  CHECK(failed.message == "No Kiro account could serve the request: refreshing the Kiro access token failed");
  auto rejected = to_client_error(upstream_failure{failure_class::refresh_rejected, 400, "invalid_grant", ""});
  CHECK(rejected.status() == 529);
  CHECK(rejected.message == "No Kiro account could serve the request: the Kiro refresh token was rejected; the account needs a new login");
  CHECK(to_client_error(upstream_failure{}).status() == 500);
}
