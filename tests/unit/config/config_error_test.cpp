#include <doctest/doctest.h>

#include "shared/config/config_error.hpp"

using namespace kb::config;

TEST_CASE("an error names file, line, column and key in that order") {
  config_error err{"config/server-config.json", "connectionPool.maxSockets", 4,
                   "expected a number, got string", 18};
  CHECK(err.to_string() ==
        "config/server-config.json:4:18: connectionPool.maxSockets: expected a "
        "number, got string");
}

TEST_CASE("an error without a position or key leaves those parts out") {
  config_error err;
  err.file = "a.json";
  err.message = "cannot open: No such file or directory";
  CHECK(err.to_string() == "a.json: cannot open: No such file or directory");
  err.key = "port";
  CHECK(err.to_string() == "a.json: port: cannot open: No such file or directory");
}

TEST_CASE("positions count lines and columns from one") {
  std::string_view text = "ab\ncd\n\nx";
  CHECK(position_of(text, 0).line == 1);
  CHECK(position_of(text, 0).column == 1);
  CHECK(position_of(text, 4).line == 2);
  CHECK(position_of(text, 4).column == 2);
  CHECK(position_of(text, 7).line == 4);
  CHECK(position_of(text, 7).column == 1);
  CHECK(position_of(text, 100).line == 4);
  CHECK(position_of(text, 100).column == 2);
}

TEST_CASE("a multi-byte UTF-8 character counts as one column") {
  std::string_view text = "\"caf\xC3\xA9\" x";
  CHECK(position_of(text, 8).column == 8);
}

TEST_CASE("loaded holds either the value or the error") {
  loaded<int> good = 5;
  REQUIRE(good.ok());
  CHECK(*good == 5);
  loaded<int> bad = config_error{"f", "k", 0, "m"};
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().key == "k");
}
