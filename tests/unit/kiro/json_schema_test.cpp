#include <string>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "shared/kiro/json_schema.hpp"

using namespace kb::kiro;

namespace {

boost::json::value parse_deep(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 100000;
  return boost::json::parse(text, {}, options);
}

boost::json::value cleaned(std::string_view schema) {
  return parse_deep(clean_json_schema(schema));
}

boost::json::value json_of(std::string_view text) {
  return boost::json::parse(text);
}

} // namespace

TEST_CASE("$schema and additionalProperties are removed at every level") {
  CHECK(cleaned(R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
      "additionalProperties":false,
      "properties":{"a":{"type":"object","additionalProperties":false,
                         "properties":{"b":{"type":"string"}}}}})") ==
        json_of(R"({"type":"object","properties":{"a":{"type":"object",
                   "properties":{"b":{"type":"string"}}}}})"));
}

TEST_CASE("property names that look like keywords are kept unless they start with $") {
  CHECK(cleaned(R"({"type":"object","properties":{
      "additionalProperties":{"type":"boolean"},"$schema":{"type":"string"}}})") ==
        json_of(R"({"type":"object","properties":{
      "additionalProperties":{"type":"boolean"}}})"));
}

TEST_CASE("every $-prefixed keyword is removed at every level, not only $schema/$defs/$ref") {
  CHECK(cleaned(R"({"$id":"https://x/tool.json","$comment":"generated","type":"object",
      "$anchor":"root","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/core":true},
      "properties":{"a":{"$id":"#a","$comment":"c","$dynamicAnchor":"n","type":"array",
        "items":{"$dynamicRef":"#n","$recursiveRef":"#","type":"string"}},
        "b":{"anyOf":[{"$comment":"x","type":"null"},{"type":"integer"}]}}})") ==
        json_of(R"({"type":"object","properties":{"a":{"type":"array",
        "items":{"type":"string"}},"b":{"anyOf":[{"type":"null"},{"type":"integer"}]}}})"));
}

TEST_CASE("$-prefixed property names (OData $select, $top) leave properties and required") {
  CHECK(cleaned(R"({"type":"object","properties":{"$select":{"type":"string"},
      "$top":{"type":"integer"},"id":{"type":"string"}},"required":["id","$top"]})") ==
        json_of(R"({"type":"object","properties":{"id":{"type":"string"}},"required":["id"]})"));
  CHECK(cleaned(R"({"type":"object","properties":{"$filter":{"type":"string"}},
      "required":["$filter"]})") == json_of(R"({"type":"object","properties":{}})"));
  CHECK(cleaned(R"({"type":"object","properties":{"q":{"type":"object",
      "patternProperties":{"$x":{"type":"string"},"^y":{"type":"string"}}}}})") ==
        json_of(R"({"type":"object","properties":{"q":{"type":"object",
      "patternProperties":{"^y":{"type":"string"}}}}})"));
}

TEST_CASE("$-prefixed keys inside data keywords are data and stay") {
  CHECK(cleaned(R"({"type":"object","properties":{"o":{"type":"object",
      "default":{"$top":5},"examples":[{"$select":"a"}],"enum":[{"$k":1}]}}})") ==
        json_of(R"({"type":"object","properties":{"o":{"type":"object",
      "default":{"$top":5},"examples":[{"$select":"a"}],"enum":[{"$k":1}]}}})"));
}

TEST_CASE("empty required and empty nested properties are removed") {
  CHECK(cleaned(R"({"type":"object","required":[],"properties":{
      "o":{"type":"object","properties":{},"required":[]}}})") ==
        json_of(R"({"type":"object","properties":{"o":{"type":"object"}}})"));
}

TEST_CASE("a local $defs reference is replaced by its definition") {
  CHECK(cleaned(R"({"type":"object","$defs":{"Point":{"type":"object",
      "properties":{"x":{"type":"number"}},"required":["x"],"additionalProperties":false}},
      "properties":{"p":{"$ref":"#/$defs/Point","description":"where"}}})") ==
        json_of(R"({"type":"object","properties":{"p":{"type":"object",
      "properties":{"x":{"type":"number"}},"required":["x"],"description":"where"}}})"));
}

TEST_CASE("a definitions reference inside items and anyOf is resolved") {
  CHECK(cleaned(R"({"type":"object","definitions":{"Id":{"type":"string"}},
      "properties":{"ids":{"type":"array","items":{"$ref":"#/definitions/Id"}},
                    "one":{"anyOf":[{"$ref":"#/definitions/Id"},{"type":"null"}]}}})") ==
        json_of(R"({"type":"object","properties":{
      "ids":{"type":"array","items":{"type":"string"}},
      "one":{"anyOf":[{"type":"string"},{"type":"null"}]}}})"));
}

TEST_CASE("a recursive $ref stops at the cycle with an empty schema") {
  CHECK(cleaned(R"({"type":"object","$defs":{"Node":{"type":"object",
      "properties":{"child":{"$ref":"#/$defs/Node"}}}},
      "properties":{"root":{"$ref":"#/$defs/Node"}}})") ==
        json_of(R"({"type":"object","properties":{"root":{"type":"object",
      "properties":{"child":{}}}}})"));
}

TEST_CASE("unknown and remote references become the empty schema") {
  CHECK(cleaned(R"({"type":"object","properties":{
      "a":{"$ref":"#/$defs/Missing"},"b":{"$ref":"https://example.com/s.json"}}})") ==
        json_of(R"({"type":"object","properties":{"a":{},"b":{}}})"));
}

TEST_CASE("a JSON pointer escape in a reference is decoded") {
  CHECK(cleaned(R"({"type":"object","$defs":{"a/b":{"type":"integer"}},
      "properties":{"n":{"$ref":"#/$defs/a~1b"}}})") ==
        json_of(R"({"type":"object","properties":{"n":{"type":"integer"}}})"));
}

TEST_CASE("data keywords such as enum and default are left untouched") {
  CHECK(cleaned(R"({"type":"object","properties":{"m":{"enum":[{"$schema":1}],
      "default":{"additionalProperties":true}}}})") ==
        json_of(R"({"type":"object","properties":{"m":{"enum":[{"$schema":1}],
      "default":{"additionalProperties":true}}}})"));
}

TEST_CASE("invalid JSON and non-object schemas become an empty object schema") {
  auto empty = json_of(R"({"type":"object","properties":{}})");
  CHECK(cleaned("") == empty);
  CHECK(cleaned("{not json") == empty);
  CHECK(cleaned("[1,2]") == empty);
  CHECK(cleaned("\"string\"") == empty);
  CHECK(cleaned("null") == empty);
}

TEST_CASE("a root without type or properties gets the object shape") {
  CHECK(cleaned(R"({})") == json_of(R"({"type":"object","properties":{}})"));
  CHECK(cleaned(R"({"type":"object","properties":{}})") ==
        json_of(R"({"type":"object","properties":{}})"));
}

TEST_CASE("mutually referencing definitions cannot blow up the output") {
  // Each level references the next twice: 2^40 expansions without a cap.
  std::string defs;
  for (int i = 0; i < 40; ++i) {
    if (i)
      defs += ',';
    defs += "\"D" + std::to_string(i) + "\":{\"anyOf\":[{\"$ref\":\"#/$defs/D" +
            std::to_string(i + 1) + "\"},{\"$ref\":\"#/$defs/D" +
            std::to_string(i + 1) + "\"}]}";
  }
  std::string schema = R"({"type":"object","$defs":{)" + defs +
                       R"(},"properties":{"x":{"$ref":"#/$defs/D0"}}})";
  std::string out = clean_json_schema(schema);
  CHECK(out.size() < 200000);
  CHECK(parse_deep(out).at("type") == "object");
}

TEST_CASE("deeply nested JSON does not crash the cleaner") {
  std::string deep;
  for (int i = 0; i < 5000; ++i)
    deep += R"({"items":)";
  deep += "{}";
  for (int i = 0; i < 5000; ++i)
    deep += '}';
  CHECK(parse_deep(clean_json_schema(deep)) ==
        json_of(R"({"type":"object","properties":{}})"));
  std::string nested_schema;
  for (int i = 0; i < 300; ++i)
    nested_schema += R"({"type":"array","items":)";
  nested_schema += "{}";
  for (int i = 0; i < 300; ++i)
    nested_schema += '}';
  auto out = parse_deep(clean_json_schema(nested_schema));
  CHECK(out.at("type") == "array");
}
