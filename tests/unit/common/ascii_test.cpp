#include <doctest/doctest.h>

#include "shared/common/ascii.hpp"

TEST_CASE("ASCII comparisons ignore case and nothing else") {
  CHECK(kb::equals_ci("Content-Length", "content-length"));
  CHECK(kb::equals_ci("", ""));
  CHECK_FALSE(kb::equals_ci("chunked", "chunked "));
  CHECK_FALSE(kb::equals_ci("\xC3\x89", "\xC3\xA9")); // É / é: not ASCII, compared as bytes
  CHECK(kb::contains_ci("You reached MONTHLY_REQUEST_COUNT today", "monthly_request_count"));
  CHECK(kb::contains_ci("abc", ""));
  CHECK_FALSE(kb::contains_ci("abc", "abcd"));
  CHECK(kb::ascii_lower('Q') == 'q');
  CHECK(kb::ascii_lower('[') == '[');
}
