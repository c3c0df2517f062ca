#include <doctest/doctest.h>

#include "tests/unit/account/test_support.hpp"

using namespace kb;
using namespace kb::account;
using namespace kb::account::test;

namespace {

credentials creds_of(const std::variant<credentials, std::string>& r) {
  if (auto* err = std::get_if<std::string>(&r))
    FAIL_CHECK(*err);
  REQUIRE(std::holds_alternative<credentials>(r));
  return std::get<credentials>(r);
}

std::string error_of(const std::variant<credentials, std::string>& r) {
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

constexpr const char* idc_token = R"({"accessToken":"idc-a","refreshToken":"aorIDC-secret-refresh",
  "expiresAt":"2026-01-01T00:00:00Z","authMethod":"IdC","provider":"BuilderId","region":"eu-central-1",
  "clientIdHash":"4f1a2b"})";

} // namespace

TEST_CASE("a Kiro IDE social token file imports with its ISO expiry and profileArn") {
  auto c = creds_of(parse_kiro_auth_token_file(
    R"({"accessToken":"aoa-a","refreshToken":"aor-r","expiresAt":"2026-01-01T01:00:00.123Z",
        "authMethod":"social","provider":"Google","profileArn":"arn:p"})",
    ""));
  CHECK(c.method == auth_method::social);
  CHECK(c.access_token == "aoa-a");
  CHECK(c.refresh_token == "aor-r");
  CHECK(c.expires_at_ms == jan_1_2026_ms + 3'600'123);
  CHECK(c.profile_arn == "arn:p");
  CHECK(c.client_id == "");
}

TEST_CASE("a token file expiry with +00:00 and nine fraction digits imports") {
  auto c = creds_of(parse_kiro_auth_token_file(
    R"({"refreshToken":"r","expiresAt":"2026-01-01T00:00:00.999999999+00:00","authMethod":"social"})", ""));
  CHECK(c.expires_at_ms == jan_1_2026_ms + 999);
  CHECK(c.access_token == "");
}

TEST_CASE("an IdC token file imports with the client from its registration file") {
  auto c = creds_of(parse_kiro_auth_token_file(
    idc_token, R"({"clientId":"cid","clientSecret":"cs","expiresAt":"2026-03-01T00:00:00Z"})"));
  CHECK(c.method == auth_method::idc);
  CHECK(c.client_id == "cid");
  CHECK(c.client_secret == "cs");
  CHECK(c.region == "eu-central-1");
  CHECK(c.refresh_token == "aorIDC-secret-refresh");
  CHECK(c.expires_at_ms == jan_1_2026_ms);
  CHECK(c.profile_arn == "");
}

TEST_CASE("an IdC token file without its client registration is an error naming the file") {
  auto err = error_of(parse_kiro_auth_token_file(idc_token, ""));
  CHECK(err == "an IdC token needs its client registration file (~/.aws/sso/cache/4f1a2b.json)");
}

TEST_CASE("a broken or incomplete client registration is an error") {
  CHECK(error_of(parse_kiro_auth_token_file(idc_token, "{oops")) ==
        "the client registration file is not a JSON object");
  CHECK(error_of(parse_kiro_auth_token_file(idc_token, R"({"clientId":"cid"})")) ==
        "the client registration file has no clientId or clientSecret");
}

TEST_CASE("a token file without authMethod but with a client is IdC, otherwise social") {
  auto idc = creds_of(parse_kiro_auth_token_file(
    R"({"refreshToken":"r","clientId":"c","clientSecret":"s"})", ""));
  CHECK(idc.method == auth_method::idc);
  CHECK(idc.client_id == "c");
  auto social = creds_of(parse_kiro_auth_token_file(R"({"refreshToken":"r"})", ""));
  CHECK(social.method == auth_method::social);
  CHECK(social.expires_at_ms == 0);
}

TEST_CASE("unusable token files are errors that never contain the tokens") {
  CHECK(error_of(parse_kiro_auth_token_file("[]", "")) == "the token file is not a JSON object");
  CHECK(error_of(parse_kiro_auth_token_file(R"({"accessToken":"aoa-secret"})", "")) ==
        "the token file has no refreshToken");
  auto bad_time = error_of(parse_kiro_auth_token_file(
    R"({"accessToken":"aoa-secret","refreshToken":"aor-secret","expiresAt":"tomorrow"})", ""));
  CHECK(bad_time == "the token file's expiresAt is not an ISO-8601 time");
  auto unknown = error_of(parse_kiro_auth_token_file(
    R"({"refreshToken":"aor-secret","authMethod":"external_idp"})", ""));
  CHECK(unknown == "unsupported authMethod \"external_idp\" (expected \"social\" or \"IdC\")");
  CHECK_FALSE(mentions(bad_time, "secret"));
  CHECK_FALSE(mentions(unknown, "secret"));
}

TEST_CASE("an enterprise IdC token file keeps its provider, regions, start URL and profileArn") {
  auto c = creds_of(parse_kiro_auth_token_file(
    R"({"refreshToken":"aorIDC-ent","authMethod":"IdC","provider":"Enterprise",
        "region":"us-east-1","authRegion":"eu-west-1","apiRegion":"eu-central-1",
        "startUrl":"https://d-1234567890.awsapps.com/start",
        "profileArn":"arn:aws:codewhisperer:eu-central-1:111122223333:profile/X"})",
    R"({"clientId":"cid","clientSecret":"cs"})"));
  CHECK(kind_of(c) == account_kind::enterprise);
  CHECK(c.auth_region == "eu-west-1");
  CHECK(c.api_region == "eu-central-1");
  CHECK(c.start_url == "https://d-1234567890.awsapps.com/start");
  CHECK(c.profile_arn == "arn:aws:codewhisperer:eu-central-1:111122223333:profile/X");
}
