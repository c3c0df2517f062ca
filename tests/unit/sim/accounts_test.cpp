#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "services/sim/accounts.hpp"

using namespace kb::sim;
namespace json = boost::json;

namespace {

constexpr int64_t t0 = 1'000'000;

account_spec social() {
  account_spec s;
  s.id = "s1";
  s.access_token = "aoa-social-initial";
  s.refresh_token = "aor-social-initial";
  return s;
}

account_spec idc() {
  account_spec s;
  s.id = "i1";
  s.access_token = "aoa-idc-initial";
  s.refresh_token = "aor-idc-initial";
  s.method = auth_method::idc;
  s.client_id = "client-1";
  s.client_secret = "secret-1";
  return s;
}

account_book book_with_both() {
  account_book b(7);
  b.upsert(social(), t0);
  b.upsert(idc(), t0);
  return b;
}

std::string refresh_body(std::string_view token) {
  return json::serialize(json::object{{"refreshToken", token}});
}

std::string idc_body(std::string_view id, std::string_view secret, std::string_view token) {
  return json::serialize(json::object{{"clientId", id},
                                      {"clientSecret", secret},
                                      {"refreshToken", token},
                                      {"grantType", "refresh_token"}});
}

} // namespace

TEST_CASE("accounts parse with defaults and infer IdC from client credentials") {
  auto parsed = parse_accounts(R"([{"id":"a","accessToken":"t","refreshToken":"r"},
      {"id":"b","accessToken":"t2","refreshToken":"r2","clientId":"c","clientSecret":"s",
       "usageLimit":50,"currentUsage":3,"accessTokenExpiresInSeconds":60}])");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].method == auth_method::social);
  CHECK((*parsed)[0].profile_arn == shared_social_profile_arn);
  CHECK((*parsed)[0].usage_limit == 500);
  CHECK((*parsed)[0].access_token_expires_in == 3600);
  CHECK((*parsed)[1].method == auth_method::idc);
  CHECK((*parsed)[1].profile_arn.empty());
  CHECK((*parsed)[1].usage_limit == 50);
  CHECK((*parsed)[1].current_usage == 3);
  CHECK((*parsed)[1].access_token_expires_in == 60);
}

TEST_CASE("bad account lists are errors") {
  CHECK_FALSE(parse_accounts("[").ok());
  CHECK_FALSE(parse_accounts(R"([{"id":"a"}])").ok());
  CHECK_FALSE(parse_accounts(R"([{"id":"a","accessToken":"t","refreshToken":"r","authMethod":"IdC"}])").ok());
  CHECK_FALSE(parse_accounts(R"([{"id":"a","accessToken":"t","refreshToken":"r","usageLimit":"x"}])").ok());
  CHECK_FALSE(parse_accounts(R"("accounts")").ok());
}

TEST_CASE("an access token works until its expiry and then reads as expired") {
  auto b = book_with_both();
  auto ok = b.authenticate("aoa-social-initial", t0 + 3599);
  REQUIRE(ok.account != nullptr);
  CHECK(ok.account->spec.id == "s1");
  auto late = b.authenticate("aoa-social-initial", t0 + 3600);
  CHECK(late.account == nullptr);
  CHECK(late.failure == auth_failure::expired);
  CHECK(b.authenticate("nope", t0).failure == auth_failure::unknown);
  CHECK(b.authenticate("", t0).failure == auth_failure::missing);
}

TEST_CASE("a social refresh issues a new access token and kills the old one at once") {
  auto b = book_with_both();
  auto reply = b.refresh_social(refresh_body("aor-social-initial"), t0 + 10);
  REQUIRE(reply.status == 200);
  CHECK(reply.account_id == "s1");
  auto v = json::parse(reply.body);
  std::string fresh = v.at("accessToken").as_string().c_str();
  CHECK(fresh != "aoa-social-initial");
  CHECK(fresh.rfind("aoaSIM", 0) == 0);
  CHECK(v.at("refreshToken") == "aor-social-initial");
  CHECK(v.at("profileArn").as_string() == shared_social_profile_arn);
  CHECK(v.at("expiresIn") == 3600);
  CHECK(b.authenticate(fresh, t0 + 10).account != nullptr);
  CHECK(b.authenticate("aoa-social-initial", t0 + 10).failure == auth_failure::unknown);
}

TEST_CASE("with a grace period the old access token keeps working for a while") {
  auto b = book_with_both();
  b.policy().old_token_grace_seconds = 30;
  REQUIRE(b.refresh_social(refresh_body("aor-social-initial"), t0).status == 200);
  CHECK(b.authenticate("aoa-social-initial", t0 + 29).account != nullptr);
  CHECK(b.authenticate("aoa-social-initial", t0 + 30).account == nullptr);
}

TEST_CASE("rotation replaces the refresh token and the old one stops working") {
  auto b = book_with_both();
  b.policy().rotate_refresh_token = true;
  auto reply = b.refresh_social(refresh_body("aor-social-initial"), t0);
  REQUIRE(reply.status == 200);
  std::string rotated = json::parse(reply.body).at("refreshToken").as_string().c_str();
  CHECK(rotated != "aor-social-initial");
  CHECK(rotated.size() >= 100);
  CHECK(b.refresh_social(refresh_body("aor-social-initial"), t0).status == 401);
  CHECK(b.refresh_social(refresh_body(rotated), t0).status == 200);
}

TEST_CASE("an unknown social refresh token is a 401") {
  auto b = book_with_both();
  auto reply = b.refresh_social(refresh_body("aor-unknown"), t0);
  CHECK(reply.status == 401);
  CHECK(reply.body ==
        R"({"message":"Invalid refresh token provided.","reason":"INVALID_REFRESH_TOKEN"})");
  CHECK(b.refresh_social("garbage", t0).status == 400);
  // An IdC refresh token is no social credential.
  CHECK(b.refresh_social(refresh_body("aor-idc-initial"), t0).status == 401);
}

TEST_CASE("an IdC refresh returns a bearer token without profileArn") {
  auto b = book_with_both();
  auto reply = b.refresh_idc(idc_body("client-1", "secret-1", "aor-idc-initial"), t0);
  REQUIRE(reply.status == 200);
  auto v = json::parse(reply.body);
  CHECK(v.at("tokenType") == "Bearer");
  CHECK(v.at("expiresIn") == 3600);
  CHECK(v.as_object().if_contains("profileArn") == nullptr);
  CHECK(b.authenticate(v.at("accessToken").as_string(), t0).account->spec.id == "i1");
}

TEST_CASE("a bad IdC refresh token is invalid_grant and a bad client is invalid_client") {
  auto b = book_with_both();
  auto bad_grant = b.refresh_idc(idc_body("client-1", "secret-1", "aor-nope"), t0);
  CHECK(bad_grant.status == 400);
  CHECK(bad_grant.body ==
        R"({"error":"invalid_grant","error_description":"Invalid refresh token provided"})");
  auto bad_client = b.refresh_idc(idc_body("client-1", "wrong", "aor-idc-initial"), t0);
  CHECK(bad_client.status == 401);
  CHECK(json::parse(bad_client.body).at("error") == "invalid_client");
  auto bad_type = b.refresh_idc(
      R"({"clientId":"client-1","clientSecret":"secret-1","refreshToken":"aor-idc-initial","grantType":"password"})",
      t0);
  CHECK(bad_type.status == 400);
  CHECK(json::parse(bad_type.body).at("error") == "unsupported_grant_type");
  CHECK(b.refresh_idc("nope", t0).status == 400);
}

TEST_CASE("expire ends every access token of the account now") {
  auto b = book_with_both();
  CHECK(b.expire("s1", t0 + 5));
  CHECK(b.authenticate("aoa-social-initial", t0 + 5).failure == auth_failure::expired);
  CHECK(b.authenticate("aoa-idc-initial", t0 + 5).account != nullptr);
  CHECK_FALSE(b.expire("ghost", t0));
}

TEST_CASE("usage counts requests, exhausts to the limit and resets to the configured value") {
  account_book b;
  auto spec = social();
  spec.usage_limit = 3;
  spec.current_usage = 1;
  b.upsert(spec, t0);
  b.count_request("s1");
  CHECK(b.find("s1")->usage == 2);
  CHECK_FALSE(b.is_exhausted("s1"));
  b.count_request("s1");
  CHECK(b.is_exhausted("s1"));
  b.reset_usage();
  CHECK(b.find("s1")->usage == 1);
  b.exhaust("s1");
  CHECK(b.find("s1")->usage == 3);
}

TEST_CASE("replacing an account retires its previous tokens") {
  auto b = book_with_both();
  auto spec = social();
  spec.access_token = "aoa-social-second";
  b.upsert(spec, t0);
  CHECK(b.authenticate("aoa-social-initial", t0).account == nullptr);
  CHECK(b.authenticate("aoa-social-second", t0).account->spec.id == "s1");
}

TEST_CASE("accounts model Kiro's three kinds and their profiles") {
  auto parsed = parse_accounts(R"([
      {"id":"s","accessToken":"t1","refreshToken":"r1"},
      {"id":"b","accessToken":"t2","refreshToken":"r2","authMethod":"IdC","clientId":"c","clientSecret":"x"},
      {"id":"e","accessToken":"t3","refreshToken":"r3","authMethod":"IdC","provider":"Enterprise",
       "clientId":"c","clientSecret":"x"},
      {"id":"u","accessToken":"t4","refreshToken":"r4","clientId":"c","clientSecret":"x",
       "startUrl":"https://d-1234567890.awsapps.com/start"},
      {"id":"v","accessToken":"t5","refreshToken":"r5","clientId":"c","clientSecret":"x",
       "startUrl":"https://view.awsapps.com/start"}])");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 5);
  CHECK((*parsed)[0].kind == account_kind::social);
  CHECK((*parsed)[1].kind == account_kind::builder_id);
  CHECK((*parsed)[1].profile_arn.empty());
  CHECK((*parsed)[2].kind == account_kind::enterprise);
  CHECK((*parsed)[2].profile_arn == "arn:aws:codewhisperer:us-east-1:111122223333:profile/SIMe");
  CHECK((*parsed)[3].kind == account_kind::enterprise);
  CHECK((*parsed)[4].kind == account_kind::builder_id);

  account_book b(3);
  for (auto& spec : *parsed)
    b.upsert(spec, t0);
  auto enterprise = b.list_profiles(*b.find("e"));
  CHECK(enterprise.status == 200);
  CHECK(json::parse(enterprise.body).at("profiles").at(0).at("arn").as_string() == (*parsed)[2].profile_arn.c_str());
  auto builder = b.list_profiles(*b.find("b"));
  CHECK(builder.status == 403);
  CHECK(builder.body.find("AWS Builder ID is not supported for this operation.") !=
        std::string::npos);
}
