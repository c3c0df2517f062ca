// kb::http_client: which base URLs make a client; kb::split_url.

#include <doctest/doctest.h>

#include "services/common/http_client.hpp"

TEST_CASE("a client for an invalid base URL is not valid and says why on use") {
  kb::http_client c{"nonsense", {}};
  CHECK_FALSE(c.valid());
  // An origin only: the path belongs to each call.
  CHECK_FALSE(kb::http_client("https://q.us-east-1.amazonaws.com/base", {}).valid());
  CHECK(kb::http_client("https://q.us-east-1.amazonaws.com", {}).valid());
  CHECK(kb::http_client("http://[::1]:9000", {}).valid());
  auto r = c.send("GET", "/", {}, "", "text/plain");
  CHECK(r.status == 0);
  CHECK(r.error.find("nonsense") != std::string::npos);
}

TEST_CASE("split_url separates origin and path") {
  CHECK(kb::split_url("https://h:1/a/b?c") == std::pair<std::string, std::string>{"https://h:1", "/a/b?c"});
  CHECK(kb::split_url("https://h") == std::pair<std::string, std::string>{"https://h", "/"});
}
