#include <doctest/doctest.h>

#include "shared/common/api_error.hpp"
#include "shared/common/json_text.hpp"

using namespace kb;

TEST_CASE("an api error serializes in Anthropic's shape with its request id") {
  auto err = invalid_request("max_tokens: Field required");
  CHECK(err.status() == 400);
  CHECK(to_json(err, "req_1") ==
        R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_1"})");
}

TEST_CASE("every error kind maps to its documented status and type") {
  CHECK(api_error{error_kind::overloaded, "x"}.status() == 529);
  CHECK(api_error{error_kind::overloaded, "x"}.type() == "overloaded_error");
  CHECK(api_error{error_kind::request_too_large, "x"}.status() == 413);
  CHECK(error_kind_for_status(418) == error_kind::invalid_request);
  CHECK(error_kind_for_status(503) == error_kind::api);
}

TEST_CASE("an SSE error event carries the same body") {
  auto sse = to_sse(api_error{error_kind::overloaded, "Overloaded"}, "");
  CHECK(sse == "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
}

TEST_CASE("json strings escape control characters and repair invalid UTF-8") {
  CHECK(json_quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(json_quote("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(json_quote("bad\xC3") == "\"bad\xEF\xBF\xBD\"");
  CHECK(json_quote("\xF0\x9F\x98\x80") == "\"\xF0\x9F\x98\x80\"");
}
