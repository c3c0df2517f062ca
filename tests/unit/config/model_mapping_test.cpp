#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "shared/config/model_mapping.hpp"
#include "tests/unit/config/test_dir.hpp"

using namespace kb::config;
using json = nlohmann::json;

namespace {

model_mapping parse_ok(std::string_view text) {
  auto m = parse_model_mapping(text, "model-mapping.json");
  if (!m) FAIL(m.error().to_string());
  return *m;
}

constexpr std::string_view released_file = R"({
  "description": "Claude → Kiro model ids",
  "mappings": {
    "claude-sonnet-4-5-20250929": "claude-sonnet-4.5",
    "claude-haiku-4-5-20251001": "claude-haiku-4.5",
    "claude-opus-4.5": "claude-opus-4.5"
  },
  "defaultModel": "claude-sonnet-4.5",
  "notes": {"claude-opus-4.5": "most capable"},
  "editor": "kept"
})";

} // namespace

TEST_CASE("the README's flat shape is read with its default") {
  auto m = parse_ok(R"({"claude-sonnet-4-5":"claude-sonnet-4.5",
                        "claude-opus-4-6":"claude-opus-4.6",
                        "default":"claude-haiku-4.5"})");
  CHECK(m.shape == mapping_shape::flat);
  CHECK(m.entries == std::vector<mapping_entry>{
                       {"claude-sonnet-4-5", "claude-sonnet-4.5"},
                       {"claude-opus-4-6", "claude-opus-4.6"}});
  CHECK(m.default_model == "claude-haiku-4.5");
  CHECK(parse_ok("{}").default_model == "claude-sonnet-4.5");
}

TEST_CASE("the released shape is read and written back with description and notes") {
  auto m = parse_ok(released_file);
  CHECK(m.shape == mapping_shape::released);
  REQUIRE(m.entries.size() == 3);
  CHECK(m.entries[2] == mapping_entry{"claude-opus-4.5", "claude-opus-4.5"});
  CHECK(m.default_model == "claude-sonnet-4.5");
  CHECK(render_model_mapping(m) ==
        nlohmann::ordered_json::parse(released_file).dump(2) + "\n");

  m.set("claude-opus-4-7", "claude-opus-4.7");
  m.set("claude-haiku-4-5-20251001", "auto");
  CHECK(m.remove("claude-opus-4.5"));
  m.default_model = "claude-opus-4.6";
  json expected = json::parse(released_file);
  expected["mappings"] = {{"claude-sonnet-4-5-20250929", "claude-sonnet-4.5"},
                          {"claude-haiku-4-5-20251001", "auto"},
                          {"claude-opus-4-7", "claude-opus-4.7"}};
  expected["defaultModel"] = "claude-opus-4.6";
  CHECK(json::parse(render_model_mapping(m)) == expected);
}

TEST_CASE("set and remove keep the flat shape, its order and the default's place") {
  auto m = parse_ok(R"({"default":"claude-sonnet-4.5","a":"x","b":"y"})");
  CHECK_FALSE(m.remove("zzz"));
  CHECK(m.remove("a"));
  m.set("c", "z");
  m.set("b", "y2");
  CHECK(render_model_mapping(m) ==
        "{\n  \"default\": \"claude-sonnet-4.5\",\n  \"b\": \"y2\",\n  \"c\": \"z\"\n}\n");
  REQUIRE(m.find("b") != nullptr);
  CHECK(*m.find("b") == "y2");
  CHECK(m.find("a") == nullptr);

  model_mapping fresh;
  fresh.set("claude-x", "auto");
  CHECK(render_model_mapping(fresh) ==
        "{\n  \"claude-x\": \"auto\",\n  \"default\": \"claude-sonnet-4.5\"\n}\n");
}

TEST_CASE("bad mapping files are refused naming the key") {
  auto flat = parse_model_mapping(R"({"claude-x": 5})", "m.json");
  REQUIRE_FALSE(flat.ok());
  CHECK(flat.error().key == "claude-x");
  CHECK(flat.error().message == "expected a Kiro model id string, got number");

  auto nested = parse_model_mapping(R"({"mappings":{"claude-x":""}})", "m.json");
  REQUIRE_FALSE(nested.ok());
  CHECK(nested.error().key == "mappings.claude-x");
  CHECK(nested.error().message == "must not be empty");

  auto mappings = parse_model_mapping(R"({"mappings":[]})", "m.json");
  REQUIRE_FALSE(mappings.ok());
  CHECK(mappings.error().key == "mappings");

  auto def = parse_model_mapping(R"({"mappings":{},"defaultModel":1})", "m.json");
  REQUIRE_FALSE(def.ok());
  CHECK(def.error().key == "defaultModel");

  auto syntax = parse_model_mapping("{\"a\": \"b\"\n\"c\": 1}", "m.json");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().line == 2);
  CHECK(syntax.error().column == 3); // end of the unexpected "c"
}

TEST_CASE("normalisation lowercases, strips suffixes and dots the minor version") {
  const std::vector<std::pair<std::string, std::string>> table{
    {"claude-sonnet-4-5-20250929", "claude-sonnet-4.5"},
    {"claude-opus-4-6", "claude-opus-4.6"},
    {"claude-sonnet-4-5-latest", "claude-sonnet-4.5"},
    {"Claude-Opus-4-6[1m]", "claude-opus-4.6"},
    {"claude-sonnet-4-6-thinking", "claude-sonnet-4.6"},
    {"claude-opus-4-5-20251101-thinking[1m]", "claude-opus-4.5"},
    {"claude-sonnet-4-20250514", "claude-sonnet-4"},
    {"claude-3-7-sonnet-20250219", "claude-3-7-sonnet"},
    {"claude-haiku-4.5", "claude-haiku-4.5"},
    {"auto-kiro", "auto"},
    {"  GPT-4  ", "gpt-4"},
    {"-latest", "-latest"},
  };
  for (const auto& [input, expected] : table) {
    CAPTURE(input);
    CHECK(normalize_model_id(input) == expected);
  }
}

TEST_CASE("resolution goes exact, normalised, known Kiro id, family, default") {
  auto m = default_model_mapping();
  m.set("my-alias", "glm-5");
  CHECK(resolve(m, "my-alias") == "glm-5");
  CHECK(resolve(m, "claude-sonnet-4-5-20250929") == "claude-sonnet-4.5");
  CHECK(resolve(m, "claude-opus-4-6") == "claude-opus-4.6");
  CHECK(resolve(m, "claude-sonnet-4-5-latest") == "claude-sonnet-4.5");
  CHECK(resolve(m, "claude-opus-4-6[1m]") == "claude-opus-4.6");
  CHECK(resolve(m, "claude-haiku-4-5-thinking") == "claude-haiku-4.5");
  CHECK(resolve(m, "claude-3-5-haiku-20241022") == "claude-haiku-4.5");
  // Not mapped, but a Kiro model id after normalisation.
  CHECK(resolve(m, "deepseek-3.2") == "deepseek-3.2");
  CHECK(resolve(m, "AUTO") == "auto");
  CHECK(resolve(m, "claude_sonnet_4_20250514_v1_0") == "CLAUDE_SONNET_4_20250514_V1_0");
  // Unknown versions fall back to the newest of their family in the mapping.
  CHECK(resolve(m, "claude-opus-5-5") == "claude-opus-4.8");
  CHECK(resolve(m, "claude-opus-4-8") == "claude-opus-4.8");
  CHECK(resolve(m, "claude-opus-4-8-thinking") == "claude-opus-4.8");
  CHECK(resolve(m, "claude-opus-4-8[1m]") == "claude-opus-4.8");
  CHECK(resolve(m, "claude-sonnet-5") == "claude-sonnet-4.6");
  CHECK(resolve(m, "claude-3-haiku-20240307") == "claude-haiku-4.5");
  CHECK(resolve(m, "gpt-4") == "claude-sonnet-4.5");
  m.default_model = "auto";
  CHECK(resolve(m, "gpt-4") == "auto");
}

TEST_CASE("family fallback without a target of that family uses the fixed choice") {
  model_mapping m;
  m.set("x", "claude-opus-4.5");
  CHECK(resolve(m, "claude-opus-9") == "claude-opus-4.5");
  CHECK(resolve(m, "claude-sonnet-9") == "claude-sonnet-4.5");
  CHECK(resolve(m, "claude-haiku-9") == "claude-haiku-4.5");
  model_mapping empty;
  CHECK(resolve(empty, "claude-opus-9") == "claude-opus-4.6");
  m.set("y", "claude-opus-4.10");
  CHECK(resolve(m, "claude-opus-9") == "claude-opus-4.10");
}

TEST_CASE("a thinking suffix is recognised for callers that enable thinking by name") {
  CHECK(has_thinking_suffix("claude-sonnet-4-5-thinking"));
  CHECK(has_thinking_suffix("claude-opus-4-6-Thinking[1m]"));
  CHECK_FALSE(has_thinking_suffix("claude-sonnet-4-5"));
  CHECK_FALSE(has_thinking_suffix("thinking-model-x"));
}

TEST_CASE("known Kiro models list current ids then legacy ids") {
  auto models = known_kiro_models();
  REQUIRE(models.size() == 17);
  CHECK(models.front() == "auto");
  CHECK(models[13] == "qwen3-coder-next");
  CHECK(models.back() == "CLAUDE_SONNET_4_5_20250929_V1_0");
  CHECK(is_known_kiro_model("claude-opus-4.7"));
  CHECK_FALSE(is_known_kiro_model("claude-opus-4-7"));
  CHECK(is_known_kiro_model("claude-opus-4.8"));
}

TEST_CASE("context windows are 1M for sonnet 4.6, opus 4.6, opus 4.8 and auto, else 200K") {
  CHECK(context_window("claude-opus-4.8") == 1000000);
  CHECK(context_window("claude-sonnet-4.6") == 1000000);
  CHECK(context_window("claude-opus-4.6") == 1000000);
  CHECK(context_window("auto") == 1000000);
  CHECK(context_window("claude-sonnet-4.5") == 200000);
  CHECK(context_window("claude-opus-4.7") == 200000);
  CHECK(context_window("glm-5") == 200000);
}

TEST_CASE("the shipped model-mapping.json equals the built-in table") {
  auto m = load_model_mapping(std::string(KB_SOURCE_DIR) + "/config/model-mapping.json");
  REQUIRE(m.ok());
  auto builtin = default_model_mapping();
  CHECK(m->shape == mapping_shape::flat);
  CHECK(m->entries == builtin.entries);
  CHECK(m->default_model == "claude-sonnet-4.5");
  for (const auto& e : m->entries) {
    CAPTURE(e.claude_model);
    CHECK(is_known_kiro_model(e.kiro_model));
  }
}

TEST_CASE("a missing mapping file gives the built-in table and a saved one loads back") {
  kb::config::test::temp_dir dir;
  const auto path = dir.file("model-mapping.json");
  auto m = load_model_mapping(path);
  REQUIRE(m.ok());
  CHECK(m->entries == default_model_mapping().entries);
  m->set("claude-new", "auto");
  REQUIRE_FALSE(save_model_mapping(path, *m).has_value());
  auto back = load_model_mapping(path);
  REQUIRE(back.ok());
  CHECK(back->entries == m->entries);
  CHECK(resolve(*back, "claude-new") == "auto");
}
