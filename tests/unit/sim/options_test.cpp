#include <doctest/doctest.h>

#include <vector>

#include "services/sim/options.hpp"

using namespace kb::sim;

namespace {

kb::result<sim_options> parse(std::vector<std::string_view> args) { return parse_options(args); }

} // namespace

TEST_CASE("command line options set ports, TLS files, accounts and limits") {
  auto o = parse({"--host", "0.0.0.0", "--port", "8080", "--tls-port", "0", "--cert", "c.pem",
                  "--key", "k.pem", "--accounts", "a.json", "--threads", "1100",
                  "--max-input-tokens", "1000", "--refresh-grace-seconds", "30",
                  "--rotate-refresh-tokens"});
  REQUIRE(o.ok());
  CHECK(o->host == "0.0.0.0");
  CHECK(o->port == 8080);
  CHECK(o->tls_port == 0);
  CHECK(o->cert_file == "c.pem");
  CHECK(o->key_file == "k.pem");
  CHECK(o->accounts_file == "a.json");
  CHECK(o->threads == 1100);
  CHECK(o->limits.max_input_tokens == 1000);
  CHECK(o->policy.old_token_grace_seconds == 30);
  CHECK(o->policy.rotate_refresh_token);
}

TEST_CASE("defaults listen on a free loopback port without TLS") {
  auto o = parse({});
  REQUIRE(o.ok());
  CHECK(o->host == "127.0.0.1");
  CHECK(o->port == 0);
  CHECK(o->tls_port == -1);
  CHECK(o->threads == 64);
}

TEST_CASE("bad command lines are errors") {
  CHECK(parse({"--port"}).error().message == "option --port needs a value");
  CHECK(parse({"--port", "70000"}).error().message == "bad value for --port: 70000");
  CHECK(parse({"--threads", "x"}).error().message == "bad value for --threads: x");
  CHECK(parse({"--tls-port", "0"}).error().message == "--tls-port needs --cert and --key");
  CHECK(parse({"--frobnicate", "1"}).error().message == "unknown option --frobnicate");
}
