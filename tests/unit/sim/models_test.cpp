#include <doctest/doctest.h>

#include <memory>
#include <set>

#include <boost/json.hpp>

#include "services/sim/models.hpp"
#include "services/sim/plan.hpp"
#include "services/sim/simulator.hpp"
#include "tests/unit/sim/request_bodies.hpp"

using namespace kb::sim;
using namespace kb::sim::test;
namespace json = boost::json;

namespace {

constexpr int64_t t0 = 2'000'000;

std::unique_ptr<simulator> free_and_pro() {
  auto sim = std::make_unique<simulator>();
  auto err = sim->load_accounts(R"([
      {"id":"free","accessToken":"token-free-abcd","refreshToken":"refresh-free",
       "subscription":"KIRO FREE"},
      {"id":"pro","accessToken":"token-pro-wxyz","refreshToken":"refresh-pro"}])",
                               t0);
  REQUIRE_FALSE(err.has_value());
  return sim;
}

http_request_view chat_for(std::string model, std::string token) {
  auto body = valid_body();
  current_of(body)["modelId"] = model;
  http_request_view v;
  v.method = "POST";
  v.path = "/generateAssistantResponse";
  v.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}};
  v.body = text(body);
  return v;
}

http_request_view models_query(std::string token, std::map<std::string, std::string> query) {
  http_request_view v;
  v.method = "GET";
  v.path = "/ListAvailableModels";
  v.headers = {{"Authorization", "Bearer " + token}};
  query.emplace("origin", "AI_EDITOR");
  v.query = std::move(query);
  return v;
}

std::vector<std::string> ids_of(const json::value& page) {
  std::vector<std::string> out;
  for (auto& m : page.at("models").as_array())
    out.emplace_back(m.at("modelId").as_string());
  return out;
}

/// Every page's model ids, following nextToken.
std::vector<std::string> all_pages(std::string_view subscription, std::string_view page_size) {
  std::vector<std::string> out;
  std::string token;
  for (int guard = 0; guard < 50; ++guard) {
    auto page = render_models_page(subscription, page_size, token);
    REQUIRE(page.ok());
    auto v = json::parse(*page);
    for (auto& id : ids_of(v))
      out.push_back(id);
    if (!v.as_object().contains("nextToken"))
      return out;
    token = std::string(v.at("nextToken").as_string());
  }
  FAIL("paging did not end");
  return out;
}

double context_percentage(const http_answer& a) {
  REQUIRE(a.stream.has_value());
  std::string bytes;
  for (auto& s : a.stream->steps)
    bytes += s.bytes;
  constexpr std::string_view key = "\"contextUsagePercentage\":";
  auto at = bytes.find(key);
  REQUIRE(at != std::string::npos);
  return std::stod(bytes.substr(at + key.size(), 16));
}

} // namespace

TEST_CASE("a FREE subscription serves no Opus model; paid ones serve every model") {
  CHECK_FALSE(subscription_serves("KIRO FREE", "claude-opus-4.7"));
  CHECK(subscription_serves("KIRO FREE", "claude-sonnet-4.5"));
  CHECK(subscription_serves("KIRO PRO", "claude-opus-4.7"));
  CHECK(subscription_serves("KIRO PRO+", "claude-opus-4.8"));
}

TEST_CASE("ListAvailableModels lists per subscription with Kiro's token limits") {
  auto pro = json::parse(*render_models_page("KIRO PRO", "", ""));
  bool opus47 = false;
  for (auto& m : pro.at("models").as_array()) {
    if (m.at("modelId") == "claude-opus-4.7") {
      opus47 = true;
      CHECK(m.at("tokenLimits").at("maxInputTokens") == 1000000);
    }
    if (m.at("modelId") == "claude-opus-4.8")
      CHECK(m.at("tokenLimits").at("maxOutputTokens") == 128000);
  }
  CHECK(opus47);
  CHECK_FALSE(pro.as_object().contains("nextToken"));
  for (auto& id : ids_of(json::parse(*render_models_page("KIRO FREE", "", ""))))
    CHECK(id.find("opus") == std::string::npos);
}

TEST_CASE("ListAvailableModels pages by maxResults and nextToken") {
  auto first = json::parse(*render_models_page("KIRO PRO", "5", ""));
  CHECK(ids_of(first).size() == 5);
  CHECK(first.at("nextToken") == "sim-models-from-5");
  auto whole = ids_of(json::parse(*render_models_page("KIRO PRO", "1000", "")));
  CHECK(all_pages("KIRO PRO", "5") == whole);
  CHECK(all_pages("KIRO FREE", "3") == ids_of(json::parse(*render_models_page("KIRO FREE", "", ""))));
  CHECK_FALSE(render_models_page("KIRO PRO", "0", "").ok());
  CHECK_FALSE(render_models_page("KIRO PRO", "x", "").ok());
  CHECK_FALSE(render_models_page("KIRO PRO", "5", "forged").ok());
  CHECK_FALSE(render_models_page("KIRO PRO", "5", "sim-models-from-999").ok());
}

TEST_CASE("the simulator lists each account's models and refuses a bad page with 400") {
  auto owner = free_and_pro();
  auto& sim = *owner;
  auto free = sim.list_models(models_query("token-free-abcd", {}), t0);
  CHECK(free.status == 200);
  CHECK(free.body.find("claude-opus") == std::string::npos);
  auto pro = sim.list_models(models_query("token-pro-wxyz", {{"maxResults", "2"}}), t0);
  CHECK(pro.status == 200);
  CHECK(json::parse(pro.body).at("nextToken") == "sim-models-from-2");
  auto bad = sim.list_models(models_query("token-pro-wxyz", {{"nextToken", "nope"}}), t0);
  CHECK(bad.status == 400);
}

TEST_CASE("an Opus request on a FREE account is Kiro's 400 INVALID_MODEL_ID") {
  auto owner = free_and_pro();
  auto& sim = *owner;
  auto refused = sim.generate(chat_for("claude-opus-4.7", "token-free-abcd"), t0);
  CHECK(refused.status == 400);
  CHECK(refused.body ==
        R"({"message":"Invalid model. Please select a different model to continue.","reason":"INVALID_MODEL_ID"})");
  CHECK(sim.generate(chat_for("claude-sonnet-4.5", "token-free-abcd"), t0).status == 200);
  CHECK(sim.generate(chat_for("claude-opus-4.7", "token-pro-wxyz"), t0).status == 200);
}

TEST_CASE("contextUsagePercentage is measured against the requested model's window") {
  auto owner = free_and_pro();
  auto& sim = *owner;
  auto sonnet = context_percentage(sim.generate(chat_for("claude-sonnet-4.5", "token-pro-wxyz"), t0));
  auto opus = context_percentage(sim.generate(chat_for("claude-opus-4.7", "token-pro-wxyz"), t0));
  CHECK(sonnet > 0);
  CHECK(opus == doctest::Approx(sonnet / 5).epsilon(0.01));
  CHECK(context_usage_percentage(100'000, 1'000'000) == 10.0);
}
