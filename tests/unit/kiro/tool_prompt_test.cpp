// What the model reads about tools: renamed tools named as their specs are.

#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
#include "shared/kiro/tool_names.hpp"

using namespace kb;
using namespace kb::kiro;
using namespace kb::kiro::test;
namespace json = boost::json;

namespace {

std::string text_of(const json::value& entry) {
  const auto& obj = entry.as_object();
  if (auto* u = obj.if_contains("userInputMessage"))
    return std::string(u->at("content").as_string());
  return std::string(obj.at("assistantResponseMessage").at("content").as_string());
}

} // namespace

TEST_CASE("prompt text names a shortened tool by the name its spec has") {
  std::string long_name =
      "mcp__plugin_cloudflare_cloudflare-docs__search_cloudflare_documentation";
  std::string kiro_name = shorten_tool_name(long_name);
  REQUIRE(kiro_name != long_name);
  auto conv = make_conversation(
      {user_turn("Use " + long_name + " to look it up."),
       assistant_turn("Calling " + long_name, {call("t1", long_name)}),
       user_turn("", {outcome("t1", "Tool loaded: " + long_name)})});
  conv.system = "Prefer " + long_name + " for docs.";
  conv.tools = {spec(long_name, "Search docs."), spec("Read", "See " + long_name + ".")};
  auto built = build_request(conv, fixed_options());
  REQUIRE(built.ok());
  CHECK(built->body.find(long_name) == std::string::npos);
  auto body = json::parse(built->body);
  const auto& history = history_of(body).as_array();
  CHECK(text_of(history.at(0)) == "Prefer " + kiro_name + " for docs.");
  CHECK(text_of(history.at(2)) == "Use " + kiro_name + " to look it up.");
  CHECK(text_of(history.at(3)) == "Calling " + kiro_name);
  CHECK(current_of(body).at("userInputMessageContext").at("toolResults").at(0).at("content") ==
        json_of(R"J([{"text":"Tool loaded: )J" + kiro_name + R"J("}])J"));
  CHECK(current_of(body).at("userInputMessageContext").at("tools").at(1).at(
            "toolSpecification").at("description") == json::value("See " + kiro_name + "."));
  CHECK(built->tool_name_map == tool_name_map{{kiro_name, long_name}});
}
