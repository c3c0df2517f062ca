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

TEST_CASE("secrets are masked to their last four characters, short ones entirely") {
  CHECK(mask_secret("aor-0123456789abcd") == "****abcd");
  CHECK(mask_secret("0123456789ab") == "****89ab");
  CHECK(mask_secret("0123456789a") == "****");
  CHECK(mask_secret("") == "****");
}
