#include <doctest/doctest.h>

#include <memory>

#include <boost/json.hpp>

#include "services/sim/simulator.hpp"
#include "tests/unit/sim/request_bodies.hpp"

using namespace kb::sim;
using namespace kb::sim::test;
namespace json = boost::json;

namespace {

constexpr int64_t t0 = 2'000'000;

std::unique_ptr<simulator> make_sim() {
  auto sim = std::make_unique<simulator>();
  auto err = sim->load_accounts(R"([
      {"id":"a1","accessToken":"token-a1-abcd","refreshToken":"refresh-a1","usageLimit":2},
      {"id":"i1","accessToken":"token-i1-wxyz","refreshToken":"refresh-i1","authMethod":"IdC",
       "clientId":"cid","clientSecret":"csecret"}])",
                               t0);
  REQUIRE_FALSE(err.has_value());
  return sim;
}

http_request_view chat(std::string body, std::string token = "token-a1-abcd") {
  http_request_view v;
  v.method = "POST";
  v.path = "/generateAssistantResponse";
  v.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}};
  v.body = std::move(body);
  return v;
}

json::value recorded(const simulator& sim) {
  http_request_view q;
  return json::parse(sim.requests(q).body);
}

} // namespace

TEST_CASE("an unscripted valid request gets a streamed default answer") {
  auto owner = make_sim();
  auto& sim = *owner;
  auto a = sim.generate(chat(text(valid_body())), t0);
  CHECK(a.status == 200);
  CHECK(a.content_type == "application/vnd.amazon.eventstream");
  REQUIRE(a.stream.has_value());
  CHECK_FALSE(a.stream->reply.has_value());
  CHECK(a.stream->steps.size() >= 3);
  REQUIRE(a.headers.size() == 1);
  CHECK(a.headers[0].first == "x-amzn-requestid");
  CHECK(a.headers[0].second.size() == 36);
}

TEST_CASE("the SDK form needs the GenerateAssistantResponse target") {
  auto owner = make_sim();
  auto& sim = *owner;
  auto req = chat(text(valid_body()));
  req.path = "/";
  req.headers[0] = {"Content-Type", "application/x-amz-json-1.0"};
  CHECK(sim.generate(req, t0).status == 400);
  req.headers.emplace_back("X-Amz-Target", std::string(sdk_generate_target));
  CHECK(sim.generate(req, t0).status == 200);
}

TEST_CASE("an unknown bearer token gets Kiro's 403 body") {
  auto owner = make_sim();
  auto& sim = *owner;
  auto a = sim.generate(chat(text(valid_body()), "stolen"), t0);
  CHECK(a.status == 403);
  CHECK(a.body == R"({"message":"The bearer token included in the request is invalid.","reason":null})");
  auto log = recorded(sim);
  CHECK(log.at("requests").at(0).at("reason") == "bearer_unknown");
}

TEST_CASE("a malformed request answers generically but records the precise reason") {
  auto owner = make_sim();
  auto& sim = *owner;
  auto body = valid_body();
  history_of(body).pop_back();
  auto a = sim.generate(chat(text(body)), t0);
  CHECK(a.status == 400);
  CHECK(a.body == R"({"message":"Improperly formed request.","reason":null})");
  auto r = recorded(sim).at("requests").at(0);
  CHECK(r.at("verdict") == "malformed");
  CHECK(r.at("reason") == "history_must_end_with_assistant");
  CHECK(r.at("accountId") == "a1");
  CHECK(r.at("headers").at("Authorization") == "Bearer ****abcd");
  CHECK(r.at("body").at("conversationState").at("conversationId") ==
        "7f0c6a38-3d39-4c55-9d1c-2b1c4ef0a001");
}

TEST_CASE("an IdC account sending profileArn is refused with 403") {
  auto owner = make_sim();
  auto& sim = *owner;
  auto a = sim.generate(chat(text(valid_body()), "token-i1-wxyz"), t0);
  CHECK(a.status == 403);
  auto body = valid_body();
  body.erase("profileArn");
  CHECK(sim.generate(chat(text(body), "token-i1-wxyz"), t0).status == 200);
}

TEST_CASE("an enterprise account needs its profileArn, which ListAvailableProfiles gives") {
  simulator sim;
  REQUIRE_FALSE(sim.load_accounts(R"([{"id":"e1","accessToken":"token-e1","refreshToken":"r",
      "authMethod":"IdC","provider":"Enterprise","clientId":"c","clientSecret":"s",
      "profileArn":"arn:aws:codewhisperer:eu-central-1:111122223333:profile/E1"},
      {"id":"b1","accessToken":"token-b1","refreshToken":"r2","authMethod":"IdC",
       "clientId":"c2","clientSecret":"s2"}])",
                                   t0)
                     .has_value());
  auto body = valid_body();
  body.erase("profileArn");
  auto missing = sim.generate(chat(text(body), "token-e1"), t0);
  CHECK(missing.status == 400);
  CHECK(missing.body == R"({"message":"profileArn is required for this request.","reason":null})");

  http_request_view profiles;
  profiles.method = "POST";
  profiles.path = "/ListAvailableProfiles";
  profiles.headers = {{"Authorization", "Bearer token-e1"}};
  profiles.body = R"({"maxResults":10})";
  auto listed = sim.list_profiles(profiles, t0);
  REQUIRE(listed.status == 200);
  auto arn = json::parse(listed.body).at("profiles").at(0).at("arn");
  body["profileArn"] = arn;
  CHECK(sim.generate(chat(text(body), "token-e1"), t0).status == 200);

  profiles.headers = {{"Authorization", "Bearer token-b1"}};
  CHECK(sim.list_profiles(profiles, t0).status == 403);
  http_request_view usage;
  usage.headers = {{"Authorization", "Bearer token-b1"}};
  usage.query = {{"origin", "AI_EDITOR"}, {"resourceType", "AGENTIC_REQUEST"}};
  CHECK(sim.usage_limits(usage, t0).status == 200);
  usage.query["profileArn"] = "arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX";
  CHECK(sim.usage_limits(usage, t0).status == 403);
}

TEST_CASE("a scripted access_denied is a 403 with the entry's message") {
  auto owner = make_sim();
  auto& sim = *owner;
  REQUIRE(sim.add_script(R"({"response":{"kind":"access_denied",
      "message":"AWS Builder ID is not supported for this operation."}})").status == 200);
  auto a = sim.generate(chat(text(valid_body())), t0);
  CHECK(a.status == 403);
  CHECK(a.body == R"({"message":"AWS Builder ID is not supported for this operation.","reason":null})");
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 200);
}

TEST_CASE("a scripted quota hit is a 402 and leaves the account exhausted") {
  auto owner = make_sim();
  auto& sim = *owner;
  REQUIRE(sim.add_script(R"({"match":{"account":"a1"},"response":{"kind":"quota"}})").status == 200);
  auto a = sim.generate(chat(text(valid_body())), t0);
  CHECK(a.status == 402);
  CHECK(a.body == R"({"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"})");
  // No script left, yet the account stays exhausted.
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 402);
  http_request_view usage;
  usage.headers = {{"Authorization", "Bearer token-a1-abcd"}};
  usage.query = {{"origin", "AI_EDITOR"}, {"resourceType", "AGENTIC_REQUEST"}};
  auto u = json::parse(sim.usage_limits(usage, t0).body);
  CHECK(u.at("usageBreakdownList").at(0).at("currentUsage") == 2);
  CHECK(u.at("usageBreakdownList").at(0).at("usageLimit") == 2);
  sim.reset();
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 200);
}

TEST_CASE("served requests count toward usage until the limit answers 402") {
  auto owner = make_sim();
  auto& sim = *owner;
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 200);
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 200);
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 402);
}

TEST_CASE("scripts match on content and fall back to the default afterwards") {
  auto owner = make_sim();
  auto& sim = *owner;
  sim.add_script(R"({"match":{"contentContains":"summarize"},"response":{"kind":"throttle"}})");
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 429);
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 200);
}

TEST_CASE("an expired account token is refused until refreshed") {
  auto owner = make_sim();
  auto& sim = *owner;
  CHECK(sim.expire(R"({"id":"a1"})", t0).status == 200);
  CHECK(sim.generate(chat(text(valid_body())), t0).status == 403);
  CHECK(recorded(sim).at("requests").at(0).at("reason") == "bearer_expired");
  http_request_view refresh;
  refresh.body = R"({"refreshToken":"refresh-a1"})";
  auto r = sim.refresh_social(refresh, t0);
  REQUIRE(r.status == 200);
  std::string fresh = json::parse(r.body).at("accessToken").as_string().c_str();
  CHECK(sim.generate(chat(text(valid_body()), fresh), t0).status == 200);
  CHECK(sim.expire(R"({"id":"ghost"})", t0).status == 404);
}

TEST_CASE("recorded refresh bodies mask the refresh token") {
  auto owner = make_sim();
  auto& sim = *owner;
  http_request_view refresh;
  refresh.method = "POST";
  refresh.path = "/refreshToken";
  refresh.body = R"({"refreshToken":"refresh-a1"})";
  sim.refresh_social(refresh, t0);
  auto r = recorded(sim).at("requests").at(0);
  CHECK(r.at("body").at("refreshToken") == "****h-a1");
  CHECK(r.at("endpoint") == "refreshToken");
  CHECK(r.at("accountId") == "a1");
}

TEST_CASE("stats count requests per endpoint, status and account") {
  auto owner = make_sim();
  auto& sim = *owner;
  sim.generate(chat(text(valid_body())), t0);
  sim.generate(chat(text(valid_body()), "bad"), t0);
  auto s = json::parse(sim.stats().body);
  CHECK(s.at("total") == 2);
  CHECK(s.at("byEndpoint").at("generateAssistantResponse") == 2);
  CHECK(s.at("byStatus").at("200") == 1);
  CHECK(s.at("byStatus").at("403") == 1);
  CHECK(s.at("byAccount").at("a1").at("total") == 1);
}

TEST_CASE("config changes the token cap at run time") {
  auto owner = make_sim();
  auto& sim = *owner;
  auto c = sim.configure(R"({"maxInputTokens":10})");
  REQUIRE(c.status == 200);
  CHECK(json::parse(c.body).at("maxInputTokens") == 10);
  auto a = sim.generate(chat(text(valid_body())), t0);
  CHECK(a.status == 400);
  CHECK(a.body == R"({"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"})");
  CHECK(sim.configure(R"({"maxInputTokens":-1})").status == 400);
}

TEST_CASE("control endpoints reject bad JSON with 400") {
  auto owner = make_sim();
  auto& sim = *owner;
  CHECK(sim.add_script("{").status == 400);
  CHECK(sim.add_accounts("[{}]", t0).status == 400);
  CHECK(sim.expire("[]", t0).status == 400);
}
