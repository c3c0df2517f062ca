#include <doctest/doctest.h>

#include "shared/kiro/tool_names.hpp"

using namespace kb::kiro;

TEST_CASE("a tool name of at most 64 bytes is kept as is") {
  CHECK(shorten_tool_name("Read") == "Read");
  std::string exactly_64(64, 'a');
  CHECK(shorten_tool_name(exactly_64) == exactly_64);
}

TEST_CASE("a 70-character tool name becomes a 55-byte prefix, an underscore and 8 hex of its SHA-256") {
  std::string name =
      "mcp__a_very_long_server_name_used_for_tests__and_a_long_tool_name_abcd";
  REQUIRE(name.size() == 70);
  CHECK(shorten_tool_name(name) ==
        "mcp__a_very_long_server_name_used_for_tests__and_a_long_869d2b26");
  CHECK(shorten_tool_name(name).size() == 64);
  CHECK(shorten_tool_name(name) == shorten_tool_name(name));
}

TEST_CASE("names sharing a long prefix get different shortened names") {
  std::string a = std::string(60, 'x') + "_alpha";
  std::string b = std::string(60, 'x') + "_bravo";
  CHECK(shorten_tool_name(a) != shorten_tool_name(b));
}

TEST_CASE("a long multibyte name is cut on a character boundary") {
  std::string name;
  for (int i = 0; i < 40; ++i)
    name += "\xC3\xA9"; // é, 80 bytes
  std::string shortened = shorten_tool_name(name);
  std::string expected;
  for (int i = 0; i < 27; ++i)
    expected += "\xC3\xA9"; // 54 bytes: 55 would split a character
  expected += "_84fe2e03";
  CHECK(shortened == expected);
}

TEST_CASE("tool names compare case-insensitively") {
  CHECK(same_tool_name("Read", "read"));
  CHECK(same_tool_name("WEB_fetch", "web_FETCH"));
  CHECK_FALSE(same_tool_name("Read", "Reads"));
  CHECK_FALSE(same_tool_name("Read", "Rend"));
}

TEST_CASE("a UTF-8 prefix never ends inside a character") {
  CHECK(utf8_prefix("abc", 5) == "abc");
  CHECK(utf8_prefix("ab\xE2\x80\xA6", 4) == "ab");
  CHECK(utf8_prefix("ab\xE2\x80\xA6", 5) == "ab\xE2\x80\xA6");
  CHECK(utf8_prefix("\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9");
}

TEST_CASE("mentions of a shortened tool's name in prompt text become its Kiro name") {
  std::string long_name =
      "mcp__plugin_cloudflare_cloudflare-docs__search_cloudflare_documentation";
  std::string longer_name = long_name + "_v2";
  tool_name_map renamed{{shorten_tool_name(long_name), long_name},
                        {shorten_tool_name(longer_name), longer_name}};
  std::string text = "Call `" + long_name + "` first, then " + longer_name + ". Not " +
                     long_name + "_draft nor x" + long_name + "; but (" + long_name + ")";
  rename_tool_mentions(text, renamed);
  CHECK(text == "Call `" + shorten_tool_name(long_name) + "` first, then " +
                    shorten_tool_name(longer_name) + ". Not " + long_name + "_draft nor x" +
                    long_name + "; but (" + shorten_tool_name(long_name) + ")");
}

TEST_CASE("text without a renamed tool is left alone") {
  std::string text = "mcp__ everywhere: mcp__short and mcp__";
  rename_tool_mentions(text, {{"mcp__k_12345678", std::string(70, 'm')}});
  CHECK(text == "mcp__ everywhere: mcp__short and mcp__");
  rename_tool_mentions(text, {});
  CHECK(text == "mcp__ everywhere: mcp__short and mcp__");
}
