#include <doctest/doctest.h>

#include "shared/common/redact.hpp"

namespace {

bool starts_with_x(std::string_view word) {
  return word.starts_with("x");
}

} // namespace

TEST_CASE("redact_words replaces the words a rule calls secret and keeps the rest") {
  CHECK(kb::redact_words("token xyz, key abc", starts_with_x, "[r]") == "token [r], key abc");
  // Token characters stay inside one word; anything else separates words.
  CHECK(kb::redact_words("a x-1/2+3=4:5.6_7 b", starts_with_x, "#") == "a # b");
  CHECK(kb::redact_words("(xa)\"xb\" xc\n", starts_with_x, "#") == "(#)\"#\" #\n");
  CHECK(kb::redact_words("", starts_with_x, "#").empty());
  CHECK(kb::redact_words("  ", starts_with_x, "#") == "  ");
  // Bytes outside ASCII are separators, kept unchanged.
  CHECK(kb::redact_words("x\xC3\xA9y", starts_with_x, "#") == "#\xC3\xA9y");
}
