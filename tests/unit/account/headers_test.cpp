#include <doctest/doctest.h>

#include "tests/unit/account/test_support.hpp"

using namespace kb;
using namespace kb::account;
using namespace kb::account::test;

TEST_CASE("chat headers imitate the Kiro IDE") {
  auto hs = chat_headers(social_account(), "abc123", "0.11.107", "inv-1");
  CHECK(hs == header_list{
                {"Authorization", "Bearer aoaAAAAAGk-access-0123456789abcdefghij"},
                {"x-amzn-codewhisperer-optout", "true"},
                {"x-amzn-kiro-agent-mode", "vibe"},
                {"x-amz-user-agent", "aws-sdk-js/1.0.34 KiroIDE-0.11.107-abc123"},
                {"user-agent", "aws-sdk-js/1.0.34 ua/2.1 os/linux#6.1 lang/js md/nodejs#22.22.0 "
                               "api/codewhispererstreaming#1.0.34 m/E KiroIDE-0.11.107-abc123"},
                {"amz-sdk-invocation-id", "inv-1"},
                {"amz-sdk-request", "attempt=1; max=3"},
              });
}

TEST_CASE("chat headers keep the connection alive and leave Content-Type to the HTTP client") {
  auto hs = chat_headers(idc_account(), "m", "v", "i");
  for (auto& [name, value] : hs) {
    CHECK(name != "Connection");
    CHECK(name != "connection");
    CHECK(name != "Content-Type");
    CHECK(value != "close");
  }
  CHECK(header(hs, "Authorization") == "Bearer idc-access");
}

TEST_CASE("the machine id is the SHA-256 hex of the account id with the bridge prefix") {
  CHECK(machine_id("acct-1") == "9b7086c620d51dcf66ff2e4079f6d51be41473739be0663ede24d3fd28db04c6");
}

TEST_CASE("the machine id is 64 lowercase hex, stable per account and distinct across accounts") {
  auto a = machine_id("acct-1");
  CHECK(a.size() == 64);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a == machine_id("acct-1"));
  CHECK(a != machine_id("acct-2"));
  CHECK(machine_id("").size() == 64);
}

TEST_CASE("url_encode keeps unreserved characters and percent-encodes everything else") {
  CHECK(url_encode("AZaz09-_.~") == "AZaz09-_.~");
  CHECK(url_encode("arn:aws/x y+z&=%") == "arn%3Aaws%2Fx%20y%2Bz%26%3D%25");
  CHECK(url_encode("\xC3\xA9") == "%C3%A9");
  CHECK(url_encode("") == "");
}

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
                   "https://[::1", "https://[::1]x", "https://ho st"})
    CHECK_MESSAGE(!parse_url(bad).has_value(), bad);
}

TEST_CASE("secrets are masked to their last four characters, short ones entirely") {
  CHECK(mask_secret("aor-0123456789abcd") == "****abcd");
  CHECK(mask_secret("0123456789ab") == "****89ab");
  CHECK(mask_secret("0123456789a") == "****");
  CHECK(mask_secret("") == "****");
}
