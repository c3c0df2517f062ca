#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "shared/claude/models.hpp"

using kb::claude::model_entry;
using kb::claude::render_model;
using kb::claude::render_model_list;

namespace {

std::vector<model_entry> numbered_models(int count) {
  std::vector<model_entry> out;
  for (int i = count; i >= 1; --i)
    out.push_back({"m" + std::to_string(i), "Model " + std::to_string(i), "2026-01-01T00:00:00Z"});
  return out;
}

/// The ids listed in a rendered page, in order, joined by commas.
std::string listed_ids(const std::string& page) {
  std::string ids;
  for (auto at = page.find(R"("id":")"); at != std::string::npos; at = page.find(R"("id":")", at + 1)) {
    const auto start = at + 6;
    if (!ids.empty()) ids += ',';
    ids += page.substr(start, page.find('"', start) - start);
  }
  return ids;
}

std::string list_error(std::string_view query) {
  auto page = render_model_list(numbered_models(3), query);
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().status() == 400);
  return page.error().message;
}

} // namespace

TEST_CASE("a model renders in Anthropic's shape") {
  CHECK(render_model({"claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"}) ==
        R"({"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"})");
}

TEST_CASE("a model with known limits carries max_input_tokens and max_tokens") {
  CHECK(render_model({"claude-opus-4-7", "Claude Opus 4.7", "2025-01-01T00:00:00Z", 1000000,
                      128000}) ==
        R"({"type":"model","id":"claude-opus-4-7","display_name":"Claude Opus 4.7",)"
        R"("created_at":"2025-01-01T00:00:00Z","max_input_tokens":1000000,"max_tokens":128000})");
}

TEST_CASE("the model list without parameters is the first 20, newest first") {
  const std::vector<model_entry> two = {{"b", "B", "2026-02-01T00:00:00Z"}, {"a", "A \"quoted\"", "2026-01-01T00:00:00Z"}};
  auto page = render_model_list(two, "");
  REQUIRE(page.ok());
  CHECK(*page ==
        R"({"data":[{"type":"model","id":"b","display_name":"B","created_at":"2026-02-01T00:00:00Z"},{"type":"model","id":"a","display_name":"A \"quoted\"","created_at":"2026-01-01T00:00:00Z"}],"has_more":false,"first_id":"b","last_id":"a"})");
  auto many = render_model_list(numbered_models(25), "");
  REQUIRE(many.ok());
  CHECK(listed_ids(*many) == "m25,m24,m23,m22,m21,m20,m19,m18,m17,m16,m15,m14,m13,m12,m11,m10,m9,m8,m7,m6");
  CHECK(many->ends_with(R"("has_more":true,"first_id":"m25","last_id":"m6"})"));
}

TEST_CASE("an empty model list has null ids") {
  auto page = render_model_list({}, "limit=5");
  REQUIRE(page.ok());
  CHECK(*page == R"({"data":[],"has_more":false,"first_id":null,"last_id":null})");
}

TEST_CASE("limit and after_id page forward") {
  auto first = render_model_list(numbered_models(5), "?limit=2");
  REQUIRE(first.ok());
  CHECK(listed_ids(*first) == "m5,m4");
  CHECK(first->ends_with(R"("has_more":true,"first_id":"m5","last_id":"m4"})"));
  auto second = render_model_list(numbered_models(5), "limit=2&after_id=m4");
  REQUIRE(second.ok());
  CHECK(listed_ids(*second) == "m3,m2");
  CHECK(second->ends_with(R"("has_more":true,"first_id":"m3","last_id":"m2"})"));
  auto last = render_model_list(numbered_models(5), "after_id=m2&limit=2");
  REQUIRE(last.ok());
  CHECK(listed_ids(*last) == "m1");
  CHECK(last->ends_with(R"("has_more":false,"first_id":"m1","last_id":"m1"})"));
}

TEST_CASE("before_id pages backward to the models just before the cursor") {
  auto page = render_model_list(numbered_models(5), "before_id=m1&limit=2");
  REQUIRE(page.ok());
  CHECK(listed_ids(*page) == "m3,m2");
  CHECK(page->ends_with(R"("has_more":true,"first_id":"m3","last_id":"m2"})"));
  auto top = render_model_list(numbered_models(5), "before_id=m3&limit=5");
  REQUIRE(top.ok());
  CHECK(listed_ids(*top) == "m5,m4");
  CHECK(top->ends_with(R"("has_more":false,"first_id":"m5","last_id":"m4"})"));
}

TEST_CASE("query values are URL-decoded and unknown parameters ignored") {
  const std::vector<model_entry> models = {{"claude opus:4", "O", "t"}, {"x", "X", "t"}};
  auto page = render_model_list(models, "beta=true&after_id=claude%20opus%3A4");
  REQUIRE(page.ok());
  CHECK(listed_ids(*page) == "x");
}

TEST_CASE("a bad limit is a 400") {
  CHECK(list_error("limit=0") == "limit: Input should be greater than or equal to 1");
  CHECK(list_error("limit=1001") == "limit: Input should be less than or equal to 1000");
  CHECK(list_error("limit=-3") == "limit: Input should be greater than or equal to 1");
  CHECK(list_error("limit=abc") == "limit: Input should be a valid integer");
  CHECK(list_error("limit=") == "limit: Input should be a valid integer");
  CHECK(list_error("limit=10x") == "limit: Input should be a valid integer");
  CHECK(list_error("limit=99999999999999999999") == "limit: Input should be less than or equal to 1000");
  CHECK(render_model_list(numbered_models(3), "limit=1000").ok());
}

TEST_CASE("an unknown cursor or both cursors at once is a 400") {
  CHECK(list_error("after_id=nope") == "after_id: unknown model id 'nope'");
  CHECK(list_error("before_id=nope") == "before_id: unknown model id 'nope'");
  CHECK(list_error("after_id=m1&before_id=m3") == "after_id and before_id cannot be used together");
}
