// What the model reads about tools: renamed tools named as their specs
// are, and the chunked-write guidance on file-writing tools.

#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
#include "shared/kiro/tool_catalog.hpp"
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


TEST_CASE("Write and Edit descriptions carry the chunked-write guidance, unless it is off") {
  auto conv = make_conversation({user_turn("make a file")});
  conv.tools = {spec("Write", "Writes a file."), spec("Edit", "Edits a file."),
                spec("Read", "Reads a file."), spec("write", "")};
  auto tools = [](const json::value& body) {
    return current_of(body).at("userInputMessageContext").at("tools").as_array();
  };
  auto description = [&](const json::value& body, size_t i) {
    return std::string(tools(body).at(i).at("toolSpecification").at("description").as_string());
  };
  auto body = body_of(conv);
  CHECK(description(body, 0) == "Writes a file.\n" + std::string(chunked_write_guidance));
  CHECK(description(body, 1) == "Edits a file.\n" + std::string(chunked_edit_guidance));
  CHECK(description(body, 2) == "Reads a file.");
  CHECK(tools(body).size() == 3); // "write" duplicates "Write"
  auto options = fixed_options();
  options.chunked_write_guidance = false;
  auto plain = body_of(conv, options);
  CHECK(description(plain, 0) == "Writes a file.");
  CHECK(description(plain, 1) == "Edits a file.");
}


TEST_CASE("a long Write description is cut before the guidance, which stays whole") {
  auto conv = make_conversation({user_turn("make a file")});
  conv.tools = {spec("Write", std::string(20'000, 'w'))};
  auto body = body_of(conv);
  std::string description(current_of(body)
                              .at("userInputMessageContext")
                              .at("tools")
                              .at(0)
                              .at("toolSpecification")
                              .at("description")
                              .as_string());
  CHECK(description.size() <= 10'000);
  CHECK(description.ends_with("\n" + std::string(chunked_write_guidance)));
  CHECK(description.find(description_cut_note) != std::string::npos);
}
