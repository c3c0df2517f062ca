// Kiro's account kinds, the profileArn each sends, per-account regions and
// ListAvailableProfiles (issue 14 rules 2, 3 and 13).

#include <doctest/doctest.h>

#include "shared/account/models.hpp"

#include "tests/unit/account/test_support.hpp"

using namespace kb;
using namespace kb::account;
using namespace kb::account::test;

namespace {

constexpr std::string_view q_default = "https://q.us-east-1.amazonaws.com";
constexpr std::string_view oidc_default = "https://oidc.us-east-1.amazonaws.com/token";
constexpr std::string_view enterprise_arn =
  "arn:aws:codewhisperer:eu-central-1:111122223333:profile/ABCDEF";

credentials enterprise_account() {
  auto c = idc_account();
  c.provider = "Enterprise";
  c.profile_arn = std::string{enterprise_arn};
  return c;
}

} // namespace

TEST_CASE("an IdC account is enterprise by its provider or an organisation's start URL") {
  CHECK(kind_of(social_account()) == account_kind::social);
  CHECK(kind_of(idc_account()) == account_kind::builder_id);
  auto c = idc_account();
  c.provider = "BuilderId";
  CHECK(kind_of(c) == account_kind::builder_id);
  c.provider = "Enterprise";
  CHECK(kind_of(c) == account_kind::enterprise);
  c.provider.clear();
  c.start_url = "https://view.awsapps.com/start/";
  CHECK(kind_of(c) == account_kind::builder_id);
  c.start_url = "https://d-1234567890.awsapps.com/start";
  CHECK(kind_of(c) == account_kind::enterprise);
}

TEST_CASE("Builder ID never sends a profileArn on q.*; social and enterprise send theirs") {
  auto builder = idc_account();
  builder.profile_arn = "arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX";
  CHECK(profile_arn_for_request(builder, q_default).empty());
  CHECK(profile_arn_for_request(social_account(), q_default) == social_account().profile_arn);
  CHECK(profile_arn_for_request(enterprise_account(), q_default) == enterprise_arn);
  // The runtime host wants one from every kind.
  CHECK(is_runtime_host("https://runtime.us-east-1.kiro.dev"));
  CHECK_FALSE(is_runtime_host("https://q.us-east-1.amazonaws.com"));
  CHECK(profile_arn_for_request(builder, "https://runtime.us-east-1.kiro.dev/") ==
        builder.profile_arn);
}

TEST_CASE("getUsageLimits carries the enterprise profile but never Builder ID's") {
  auto enterprise = usage_call(enterprise_account(), q_default, "m", "0.11.107");
  CHECK(enterprise.url.find("&profileArn=" + url_encode(enterprise_arn)) != std::string::npos);
  auto builder = idc_account();
  builder.profile_arn = std::string{enterprise_arn};
  CHECK(usage_call(builder, q_default, "m", "0.11.107").url.find("profileArn") ==
        std::string::npos);
}

TEST_CASE("ListAvailableModels follows the same profileArn rule as getUsageLimits") {
  auto enterprise = models_call(enterprise_account(), q_default, "m", "0.11.107");
  CHECK(enterprise.url.find("&profileArn=" + url_encode(enterprise_arn)) != std::string::npos);
  auto builder = idc_account();
  builder.profile_arn = std::string{enterprise_arn};
  CHECK(models_page_call(builder, q_default, "m", "0.11.107", "", 50).url.find("profileArn") ==
        std::string::npos);
}

TEST_CASE("an IdC account refreshes in its own region; a custom URL stays an override") {
  auto c = idc_account();
  c.region.clear();
  CHECK(idc_refresh_url(c, oidc_default, "us-east-1") == oidc_default);
  c.region = "eu-west-1";
  CHECK(idc_refresh_url(c, oidc_default, "us-east-1") ==
        "https://oidc.eu-west-1.amazonaws.com/token");
  c.auth_region = "ap-southeast-2"; // kiro.rs: authRegion wins over region
  CHECK(idc_refresh_url(c, oidc_default, "us-east-1") ==
        "https://oidc.ap-southeast-2.amazonaws.com/token");
  CHECK(idc_refresh_url(c, "http://127.0.0.1:9/token", "us-east-1") == "http://127.0.0.1:9/token");
  c.auth_region = "eu-west-1/../evil";
  c.region.clear();
  CHECK(idc_refresh_url(c, oidc_default, "us-east-1") == oidc_default);
}

TEST_CASE("the API region comes from apiRegion, else the profile ARN, else the configuration") {
  CHECK(region_of_profile_arn(enterprise_arn) == "eu-central-1");
  CHECK(region_of_profile_arn("not-an-arn").empty());
  auto c = enterprise_account();
  CHECK(api_base_url_for(c, q_default, "us-east-1") == "https://q.eu-central-1.amazonaws.com");
  CHECK(api_base_url_for(c, "https://runtime.us-east-1.kiro.dev", "us-east-1") ==
        "https://runtime.eu-central-1.kiro.dev");
  c.api_region = "us-west-2";
  CHECK(api_base_url_for(c, q_default, "us-east-1") == "https://q.us-west-2.amazonaws.com");
  CHECK(api_base_url_for(c, "http://127.0.0.1:9", "us-east-1") == "http://127.0.0.1:9");
  CHECK(api_base_url_for(idc_account(), q_default, "us-east-1") == q_default);
}

TEST_CASE("ListAvailableProfiles is a JSON POST and its first ARN is the account's") {
  auto call = profiles_call(enterprise_account(), "https://q.eu-central-1.amazonaws.com/", "m",
                            "0.11.107");
  CHECK(call.method == "POST");
  CHECK(call.url == "https://q.eu-central-1.amazonaws.com/ListAvailableProfiles");
  CHECK(call.body == R"({"maxResults":10})");
  auto ok = parse_available_profiles(
    200, R"({"profiles":[{"arn":"arn:a","profileName":"p"},{"profileArn":"arn:b"}],"nextToken":null})");
  REQUIRE(std::holds_alternative<std::vector<std::string>>(ok));
  CHECK(std::get<std::vector<std::string>>(ok) == std::vector<std::string>{"arn:a", "arn:b"});
  auto none = parse_available_profiles(200, R"({"profiles":[]})");
  REQUIRE(std::holds_alternative<upstream_failure>(none));
  auto denied = parse_available_profiles(
    403, R"({"message":"AWS Builder ID is not supported for this operation.","reason":null})");
  REQUIRE(std::holds_alternative<upstream_failure>(denied));
  CHECK(std::get<upstream_failure>(denied).message.find("Builder ID") != std::string::npos);
}
