#include <doctest/doctest.h>

#include <map>

#include "shared/account/models.hpp"
#include "tests/unit/account/test_support.hpp"

using namespace kb;
using namespace kb::account;
using namespace kb::account::test;

TEST_CASE("a model page keeps each model's token limits and the next token") {
  auto parsed = parse_model_page(200, R"({"models":[
      {"modelId":"claude-opus-4.7","modelName":"Claude Opus 4.7",
       "tokenLimits":{"maxInputTokens":1000000,"maxOutputTokens":128000}},
      {"modelId":"claude-haiku-4.5"},
      {"modelName":"no id"}, 7],
    "defaultModel":{"modelId":"auto"},"nextToken":"page-2"})");
  REQUIRE(std::holds_alternative<model_page>(parsed));
  auto& page = std::get<model_page>(parsed);
  REQUIRE(page.models.size() == 2);
  CHECK(page.models[0] == kiro_model{"claude-opus-4.7", "Claude Opus 4.7", 1000000, 128000});
  CHECK(page.models[1] == kiro_model{"claude-haiku-4.5", "", 0, 0});
  CHECK(page.next_token == "page-2");
  CHECK(std::get<model_page>(parse_model_page(200, R"({"models":[]})")).next_token.empty());
}

TEST_CASE("a failed model page is classified like a chat failure") {
  auto denied = parse_model_page(
    403, R"({"message":"The bearer token included in the request is invalid.","reason":null})");
  REQUIRE(std::holds_alternative<upstream_failure>(denied));
  CHECK(std::get<upstream_failure>(denied).cls == failure_class::invalid_bearer);
  CHECK(std::get<upstream_failure>(parse_model_page(200, "[]")).cls ==
        failure_class::server_error);
}

TEST_CASE("the page call asks for maxResults and passes the next token on") {
  auto c = social_account();
  auto first = models_page_call(c, "https://q.example", "mid", "0.11.107", "");
  CHECK(first.method == "GET");
  CHECK(first.url.find("/ListAvailableModels?origin=AI_EDITOR&") != std::string::npos);
  CHECK(first.url.find("&maxResults=50") != std::string::npos);
  CHECK(first.url.find("nextToken") == std::string::npos);
  auto next = models_page_call(c, "https://q.example", "mid", "0.11.107", "a b/c", 5);
  CHECK(next.url.find("&maxResults=5&nextToken=a%20b%2Fc") != std::string::npos);
}

TEST_CASE("the model list gathers every page until the next token runs out") {
  std::map<std::string, std::string> pages{
    {"", R"({"models":[{"modelId":"auto"}],"nextToken":"t2"})"},
    {"t2", R"({"models":[{"modelId":"claude-sonnet-4.5"}],"nextToken":"t3"})"},
    {"t3", R"({"models":[{"modelId":"claude-opus-4.7"}]})"},
  };
  std::vector<std::string> asked;
  auto perform = [&](const http_call& call) {
    auto at = call.url.find("nextToken=");
    auto token = at == std::string::npos ? std::string{} : call.url.substr(at + 10);
    asked.push_back(token);
    return http_result{200, pages.at(token), ""};
  };
  auto list = fetch_model_list(social_account(), "https://q.example", "mid", "v", perform);
  REQUIRE(std::holds_alternative<std::vector<kiro_model>>(list));
  auto& models = std::get<std::vector<kiro_model>>(list);
  REQUIRE(models.size() == 3);
  CHECK(models[2].id == "claude-opus-4.7");
  CHECK(asked == std::vector<std::string>{"", "t2", "t3"});
}

TEST_CASE("the model list stops on a repeated token and fails with a failing page") {
  int calls = 0;
  auto looping = [&](const http_call&) {
    ++calls;
    return http_result{200, R"({"models":[{"modelId":"auto"}],"nextToken":"same"})", ""};
  };
  auto list = fetch_model_list(social_account(), "https://q.example", "mid", "v", looping);
  CHECK(calls == 2);
  CHECK(std::get<std::vector<kiro_model>>(list).size() == 2);

  int n = 0;
  auto second_fails = [&](const http_call&) {
    return ++n == 1 ? http_result{200, R"({"models":[],"nextToken":"x"})", ""}
                    : http_result{0, "", "connection reset"};
  };
  auto failed = fetch_model_list(social_account(), "https://q.example", "mid", "v", second_fails);
  REQUIRE(std::holds_alternative<upstream_failure>(failed));
  CHECK(std::get<upstream_failure>(failed).cls == failure_class::network);
}
