#include <doctest/doctest.h>

#include "services/admin/account_requests.hpp"
#include "services/admin/config_store.hpp"

using nlohmann::json;
using namespace kb::admin;

TEST_CASE("an add request becomes the seed's account object") {
  auto out = account_from_add_request(json{{"refreshToken", "r1"},
                                           {"accessToken", "a1"},
                                           {"email", "x@example.com"},
                                           {"expiresAt", 1700000000000},
                                           {"authMethod", "IdC"},
                                           {"clientId", "cid"},
                                           {"clientSecret", "cs"},
                                           {"priority", 3}});
  REQUIRE(std::holds_alternative<json>(out));
  CHECK(std::get<json>(out) == json{{"email", "x@example.com"},
                                    {"priority", 3},
                                    {"credentials",
                                     {{"refreshToken", "r1"},
                                      {"accessToken", "a1"},
                                      {"expiresAt", 1700000000000},
                                      {"authMethod", "IdC"},
                                      {"clientId", "cid"},
                                      {"clientSecret", "cs"}}}});
}

TEST_CASE("an add request without any token or with wrong types is refused") {
  auto none = account_from_add_request(json{{"email", "x@example.com"}});
  REQUIRE(std::holds_alternative<std::string>(none));
  CHECK(std::get<std::string>(none) == "refreshToken (or accessToken) is required");
  auto prio = account_from_add_request(json{{"refreshToken", "r"}, {"priority", "high"}});
  REQUIRE(std::holds_alternative<std::string>(prio));
  CHECK(std::get<std::string>(prio) == "priority must be an integer");
  auto region = account_from_add_request(json{{"refreshToken", "r"}, {"region", 5}});
  REQUIRE(std::holds_alternative<std::string>(region));
  CHECK(std::get<std::string>(region) == "region must be a string");
  CHECK(std::holds_alternative<std::string>(account_from_add_request(json::array())));
}

TEST_CASE("a seed accounts file imports every account in order") {
  json file = {{"version", "1.0.0"},
               {"accounts", json::array({json{{"id", "a"}}, json{{"id", "b"}}})}};
  auto out = accounts_from_import(file);
  REQUIRE(std::holds_alternative<std::vector<json>>(out));
  auto& list = std::get<std::vector<json>>(out);
  REQUIRE(list.size() == 2);
  CHECK(list[1]["id"] == "b");
  auto bare = accounts_from_import(json::array({json{{"id", "c"}}}));
  REQUIRE(std::holds_alternative<std::vector<json>>(bare));
  CHECK(std::get<std::vector<json>>(bare).size() == 1);
  auto empty = accounts_from_import(json{{"accounts", json::array()}});
  CHECK(std::holds_alternative<std::string>(empty));
}

TEST_CASE("a Kiro IDE IdC token imports with its client registration") {
  json token = {{"accessToken", "at"},
                {"refreshToken", "rt"},
                {"expiresAt", "2030-01-01T00:00:00.000Z"},
                {"authMethod", "IdC"},
                {"region", "eu-west-1"}};
  auto without = accounts_from_import(json{{"token", token}});
  REQUIRE(std::holds_alternative<std::string>(without));
  CHECK(std::get<std::string>(without).find("client registration") != std::string::npos);
  auto with = accounts_from_import(json{{"token", token},
                                        {"clientRegistration",
                                         {{"clientId", "cid"}, {"clientSecret", "cs"}}},
                                        {"email", "me@example.com"}});
  REQUIRE(std::holds_alternative<std::vector<json>>(with));
  auto account = std::get<std::vector<json>>(with).at(0);
  CHECK(account["email"] == "me@example.com");
  CHECK(account["credentials"]["authMethod"] == "IdC");
  CHECK(account["credentials"]["clientId"] == "cid");
  CHECK(account["credentials"]["region"] == "eu-west-1");
  CHECK(account["credentials"]["expiresAt"] == 1893456000000);
}

TEST_CASE("an enterprise IdC token keeps what tells its kind and its regions") {
  json token = {{"accessToken", "at"},      {"refreshToken", "rt"},
                {"authMethod", "IdC"},      {"provider", "Enterprise"},
                {"region", "us-east-1"},    {"authRegion", "eu-central-1"},
                {"apiRegion", "eu-central-1"},
                {"startUrl", "https://acme.awsapps.com/start"}};
  auto out = accounts_from_import(json{{"token", token},
                                       {"clientRegistration",
                                        {{"clientId", "cid"}, {"clientSecret", "cs"}}}});
  REQUIRE(std::holds_alternative<std::vector<json>>(out));
  auto creds = std::get<std::vector<json>>(out).at(0)["credentials"];
  CHECK(creds["provider"] == "Enterprise");
  CHECK(creds["startUrl"] == "https://acme.awsapps.com/start");
  CHECK(creds["authRegion"] == "eu-central-1");
  CHECK(creds["apiRegion"] == "eu-central-1");
  auto added = account_from_add_request(json{{"refreshToken", "rt"},
                                             {"authRegion", "eu-west-1"},
                                             {"startUrl", "https://acme.awsapps.com/start"}});
  REQUIRE(std::holds_alternative<json>(added));
  CHECK(std::get<json>(added)["credentials"]["authRegion"] == "eu-west-1");
  CHECK(std::get<json>(added)["credentials"]["startUrl"] == "https://acme.awsapps.com/start");
}

TEST_CASE("a bare social token file imports as one account") {
  auto out = accounts_from_import(json{{"accessToken", "at"}, {"refreshToken", "rt"}});
  REQUIRE(std::holds_alternative<std::vector<json>>(out));
  auto account = std::get<std::vector<json>>(out).at(0);
  CHECK(account["credentials"]["authMethod"] == "social");
  CHECK(account["credentials"]["refreshToken"] == "rt");
}

TEST_CASE("an account patch accepts priority, enabled, email and nickname only") {
  CHECK(std::holds_alternative<json>(account_patch(json{{"priority", 2}, {"enabled", false}})));
  auto wrong_type = account_patch(json{{"enabled", "no"}});
  REQUIRE(std::holds_alternative<std::string>(wrong_type));
  CHECK(std::get<std::string>(wrong_type).rfind("enabled: ", 0) == 0);
  CHECK(std::holds_alternative<std::string>(account_patch(json{{"credentials", json::object()}})));
  CHECK(std::holds_alternative<std::string>(account_patch(json::object())));
}

TEST_CASE("only a host or port change needs a restart") {
  kb::config::server_config a, b;
  CHECK(restart_keys(a, b).empty());
  b.port = 4000;
  b.log_level = "debug";
  CHECK(restart_keys(a, b) == std::vector<std::string>{"port"});
  b.host = "0.0.0.0"; // the default is 127.0.0.1
  CHECK(restart_keys(a, b) == std::vector<std::string>{"host", "port"});
}
