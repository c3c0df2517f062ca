#include <doctest/doctest.h>

#include "shared/common/url.hpp"

using kb::parse_url;

TEST_CASE("an https URL without port or path gets port 443 and an empty prefix") {
  auto u = parse_url("https://q.us-east-1.amazonaws.com");
  REQUIRE(u.has_value());
  CHECK(u->tls);
  CHECK(u->host == "q.us-east-1.amazonaws.com");
  CHECK(u->port == 443);
  CHECK(u->path_prefix == "");
}

TEST_CASE("an http URL keeps its explicit port and path prefix without the trailing slash") {
  auto u = parse_url("http://127.0.0.1:8080/base/");
  REQUIRE(u.has_value());
  CHECK_FALSE(u->tls);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8080);
  CHECK(u->path_prefix == "/base");
  auto plain = parse_url("HTTP://localhost/");
  REQUIRE(plain.has_value());
  CHECK(plain->port == 80);
  CHECK(plain->path_prefix == "");
}

TEST_CASE("a bracketed IPv6 host parses with and without a port") {
  auto u = parse_url("https://[::1]:8443/k");
  REQUIRE(u.has_value());
  CHECK(u->host == "::1");
  CHECK(u->port == 8443);
  CHECK(u->path_prefix == "/k");
  CHECK(parse_url("http://[::1]")->port == 80);
}

TEST_CASE("malformed URLs are rejected") {
  for (auto bad : {"", "q.amazonaws.com", "ftp://host", "https://", "https://:443",
                   "https://host:", "https://host:0", "https://host:65536", "https://host:8o",
                   "https://host/p?x=1", "https://host#f", "https://user:pw@host",
                   "https://[::1", "https://[::1]x", "https://[]:443", "https://ho st",
                   "https://host/a b", "https://host/\tx", "https://host/\x7f"})
    CHECK_MESSAGE(!parse_url(bad).has_value(), bad);
}
