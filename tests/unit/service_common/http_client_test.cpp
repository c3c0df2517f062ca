// kb::parse_origin and kb::split_url: how upstream URLs are read.

#include <doctest/doctest.h>

#include "services/common/http_client.hpp"

TEST_CASE("an origin names scheme, host and port; the port defaults by scheme") {
  auto a = kb::parse_origin("https://q.us-east-1.amazonaws.com");
  REQUIRE(a);
  CHECK(a->tls);
  CHECK(a->host == "q.us-east-1.amazonaws.com");
  CHECK(a->port == 443);
  auto b = kb::parse_origin("http://127.0.0.1:8080");
  REQUIRE(b);
  CHECK_FALSE(b->tls);
  CHECK(b->host == "127.0.0.1");
  CHECK(b->port == 8080);
  auto c = kb::parse_origin("http://[::1]:9000");
  REQUIRE(c);
  CHECK(c->host == "::1");
  CHECK(c->port == 9000);
  auto d = kb::parse_origin("https://[::1]");
  REQUIRE(d);
  CHECK(d->port == 443);
}

TEST_CASE("an origin that is not http(s)://host[:port] is refused") {
  for (const char* bad : {"", "ftp://x", "q.us-east-1.amazonaws.com", "http://", "http://:80",
                          "http://host:", "http://host:0", "http://host:70000",
                          "http://host:80x", "http://[::1", "http://[::1]x",
                          "http://user@host", "http://host/path"})
    CHECK_MESSAGE(!kb::parse_origin(bad), bad);
}

TEST_CASE("a client for an invalid base URL is not valid and says why on use") {
  kb::http_client c{"nonsense", {}};
  CHECK_FALSE(c.valid());
  auto r = c.send("GET", "/", {}, "", "text/plain");
  CHECK(r.status == 0);
  CHECK(r.error.find("nonsense") != std::string::npos);
}

TEST_CASE("split_url separates origin and path") {
  CHECK(kb::split_url("https://h:1/a/b?c") == std::pair<std::string, std::string>{"https://h:1", "/a/b?c"});
  CHECK(kb::split_url("https://h") == std::pair<std::string, std::string>{"https://h", "/"});
}
