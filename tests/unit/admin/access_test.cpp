// The admin API's access rule (services/admin/access.hpp) as a pure
// function: token, loopback, proxies, Host, Origin and body type.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "services/admin/access.hpp"

TEST_CASE("the admin rule refuses cross-site mutations, foreign Hosts and proxies") {
  using kb::admin::admin_request;
  using kb::admin::judge_admin_request;
  std::vector<std::string> extra{"kiro.internal"};
  kb::admin::admin_policy open{"", "127.0.0.1", &extra};
  admin_request get{"GET", "", "127.0.0.1", "127.0.0.1:3000"};
  CHECK(judge_admin_request(get, open).allowed());
  auto post = get;
  post.method = "POST";
  post.has_origin = true;
  post.origin = "http://127.0.0.1:3000";
  post.has_body = true;
  post.content_type = "application/json; charset=utf-8";
  CHECK(judge_admin_request(post, open).allowed());
  auto v = post;
  v.origin = "http://attacker.example";
  CHECK(judge_admin_request(v, open).status == 403);
  v.origin = "null";
  CHECK(judge_admin_request(v, open).status == 403);
  v = post;
  v.content_type = "text/plain";
  CHECK(judge_admin_request(v, open).status == 415);
  v.has_body = false; // an empty POST (test, reset, hot-reload) needs no type
  CHECK(judge_admin_request(v, open).allowed());
  v = get;
  v.host = "attacker.example:3000";
  CHECK(judge_admin_request(v, open).status == 403);
  for (auto host : {"localhost:3000", "LOCALHOST", "[::1]:3000", "kiro.internal:3000",
                    "127.0.0.1"}) {
    v.host = host;
    CHECK_MESSAGE(judge_admin_request(v, open).allowed(), host);
  }
  v = get;
  v.forwarded = true;
  CHECK(judge_admin_request(v, open).status == 403);
  kb::admin::admin_policy wide{"", "0.0.0.0", &extra};
  CHECK(judge_admin_request(get, wide).status == 403);
  kb::admin::admin_policy all{"", "", &extra};
  CHECK(judge_admin_request(get, all).status == 403);
  // With the token, Host and proxies do not matter; Origin and type do.
  kb::admin::admin_policy token{"tok-123", "0.0.0.0", &extra};
  v = post;
  v.authorization = "Bearer tok-123";
  v.remote_addr = "10.0.0.5";
  v.host = "bridge.example.com";
  v.origin = "https://bridge.example.com";
  v.forwarded = true;
  CHECK(judge_admin_request(v, token).allowed());
  v.origin = "https://evil.example.com";
  CHECK(judge_admin_request(v, token).status == 403);
  v.authorization = "Bearer tok-124";
  CHECK(judge_admin_request(v, token).status == 401);
  CHECK(kb::admin::origin_matches_host("http://localhost", "localhost:80"));
  CHECK(kb::admin::origin_matches_host("https://b.example:443", "B.example"));
  CHECK_FALSE(kb::admin::origin_matches_host("https://b.example:8443", "b.example"));
  CHECK_FALSE(kb::admin::origin_matches_host("http://127.0.0.1:3000@evil", "127.0.0.1:3000"));
}

TEST_CASE("a Host header's name drops port, brackets, case and a final dot") {
  using kb::admin::host_name;
  CHECK(host_name("[::1]:3000") == "::1");
  CHECK(host_name("LocalHost:80") == "localhost");
  CHECK(host_name("localhost.") == "localhost");
  CHECK(host_name("127.0.0.1") == "127.0.0.1");
  CHECK(host_name("::1") == "::1");
  CHECK(kb::admin::is_loopback_listen("127.0.0.1"));
  CHECK(kb::admin::is_loopback_listen("localhost"));
  CHECK(kb::admin::is_loopback_listen("::1"));
  CHECK_FALSE(kb::admin::is_loopback_listen("0.0.0.0"));
  CHECK_FALSE(kb::admin::is_loopback_listen("::"));
  CHECK_FALSE(kb::admin::is_loopback_listen("192.168.1.4"));
}

TEST_CASE("application/json is the only body type, parameters allowed") {
  using kb::admin::is_json_media_type;
  CHECK(is_json_media_type("application/json"));
  CHECK(is_json_media_type("Application/JSON; charset=utf-8"));
  CHECK_FALSE(is_json_media_type("text/plain"));
  CHECK_FALSE(is_json_media_type("application/jsonx"));
  CHECK_FALSE(is_json_media_type(""));
}
