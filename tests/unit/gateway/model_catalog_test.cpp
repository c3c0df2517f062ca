#include <doctest/doctest.h>

#include "services/gateway/model_catalog.hpp"

using namespace kb;
using namespace kb::gw;

namespace {

config::model_mapping only_default() {
  config::model_mapping m;
  m.default_model = "claude-sonnet-4.5";
  return m;
}

std::vector<served_model> pool_serves() {
  return {{"auto", "Auto", 1000000, 64000},
          {"claude-opus-4.7", "Claude Opus 4.7", 1000000, 128000},
          {"claude-sonnet-4.5", "", 200000, 64000},
          {"glm-5", "GLM 5", 0, 0}};
}

std::vector<std::string> ids(const std::vector<claude::model_entry>& xs) {
  std::vector<std::string> out;
  for (auto& x : xs)
    out.push_back(x.id);
  return out;
}

} // namespace

TEST_CASE("the supervisor's served-model answer parses; bad text reads as nothing") {
  auto served = parse_served_models(
    R"({"models":[{"id":"claude-opus-4.7","name":"Claude Opus 4.7","maxInputTokens":1000000,)"
    R"("maxOutputTokens":128000,"accounts":2},{"name":"no id"},3]})");
  REQUIRE(served.size() == 1);
  CHECK(served[0].kiro_id == "claude-opus-4.7");
  CHECK(served[0].max_input_tokens == 1000000);
  CHECK(served[0].max_output_tokens == 128000);
  CHECK(parse_served_models("nope").empty());
  CHECK(parse_served_models(R"({"models":{}})").empty());
}

TEST_CASE("the window comes from the pool's model list, else the built-in table") {
  auto served = pool_serves();
  CHECK(context_window(served, "claude-opus-4.7") == 1000000);
  CHECK(context_window(served, "claude-sonnet-4.5") == 200000);
  CHECK(context_window(served, "glm-5") == config::context_window("glm-5"));
  CHECK(context_window({}, "claude-opus-4.7") == config::context_window("claude-opus-4.7"));
}

TEST_CASE("with only a default mapping the catalog lists the Claude ids that resolve to served models") {
  auto m = only_default();
  CHECK(model_catalog(m).empty());
  auto catalog = model_catalog(m, pool_serves());
  CHECK(ids(catalog) == std::vector<std::string>{"claude-sonnet-4-5", "claude-opus-4-7"});
  for (auto& e : catalog) {
    auto served = pool_serves();
    auto kiro = config::resolve(m, e.id);
    CHECK(std::any_of(served.begin(), served.end(), [&](auto& s) { return s.kiro_id == kiro; }));
  }
  auto opus = std::find_if(catalog.begin(), catalog.end(),
                           [](auto& e) { return e.id == "claude-opus-4-7"; });
  CHECK(opus->display_name == "Claude Opus 4.7");
  CHECK(opus->max_input_tokens == 1000000);
  CHECK(opus->max_tokens == 128000);
}

TEST_CASE("mapped ids keep their place and gain the served limits; targeted models are not repeated") {
  auto m = only_default();
  m.set("claude-opus-4-7-20260417", "claude-opus-4.7");
  auto catalog = model_catalog(m, pool_serves());
  CHECK(catalog.front().id == "claude-opus-4-7-20260417");
  CHECK(catalog.front().max_input_tokens == 1000000);
  CHECK(std::count_if(catalog.begin(), catalog.end(),
                      [](auto& e) { return e.id == "claude-opus-4-7"; }) == 0);
}

TEST_CASE("an empty served list stays stale; a refresh is claimed once per spacing") {
  served_models_cache cache;
  auto t0 = served_models_cache::clock::now();
  CHECK(cache.stale(t0, std::chrono::seconds(30)));
  cache.set({}, t0);
  CHECK(cache.stale(t0, std::chrono::seconds(30)));
  cache.set(pool_serves(), t0);
  CHECK_FALSE(cache.stale(t0 + std::chrono::seconds(29), std::chrono::seconds(30)));
  CHECK(cache.stale(t0 + std::chrono::seconds(30), std::chrono::seconds(30)));
  CHECK(cache.get()->size() == 4);
  CHECK(cache.claim_refresh(t0, std::chrono::seconds(1)));
  CHECK_FALSE(cache.claim_refresh(t0 + std::chrono::milliseconds(500), std::chrono::seconds(1)));
  CHECK(cache.claim_refresh(t0 + std::chrono::seconds(1), std::chrono::seconds(1)));
}
