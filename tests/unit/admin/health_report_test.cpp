#include <doctest/doctest.h>

#include "services/admin/health_report.hpp"

using namespace kb;
using namespace kb::admin;

namespace {

account_status account(std::string state, int64_t available_at_ms = 0) {
  account_status a;
  a.id = "acct-" + state;
  a.state = std::move(state);
  a.available_at_ms = available_at_ms;
  return a;
}

constexpr int64_t now = 1'800'000'000'000;

} // namespace

TEST_CASE("with no account the bridge is down and says how to add one") {
  auto h = assess_health({}, {}, now);
  CHECK(h.status == "down");
  REQUIRE(h.reasons.size() == 1);
  CHECK(h.reasons[0].find("no Kiro account is configured") == 0);
  CHECK(h.reasons[0].find("kiroctl accounts import") != std::string::npos);
}

TEST_CASE("with every account disabled the bridge is down") {
  auto h = assess_health({account("disabled"), account("disabled")}, {}, now);
  CHECK(h.status == "down");
  CHECK(h.reasons.at(0).find("every Kiro account is disabled (2)") == 0);
}

TEST_CASE("with every account cooling down the bridge is down until the first is back") {
  auto h = assess_health({account("cooldown", now + 60'000), account("exhausted", now + 5'000)},
                         {}, now);
  CHECK(h.status == "down");
  CHECK(h.reasons.at(0).find("no Kiro account can take a request until 2027-01-15T08:00:05Z") == 0);
}

TEST_CASE("a cooldown that has ended does not count against health") {
  auto h = assess_health({account("cooldown", now - 1)}, {}, now);
  CHECK(h.status == "ok");
  CHECK(h.reasons.empty());
}

TEST_CASE("some accounts unable to serve make the bridge degraded, naming them") {
  auto h = assess_health({account("active"), account("disabled"), account("cooldown", now + 1000)},
                         {}, now);
  CHECK(h.status == "degraded");
  REQUIRE(h.reasons.size() == 2);
  CHECK(h.reasons[0] == "1 of 3 account(s) disabled");
  CHECK(h.reasons[1].find("1 of 3 account(s) cooling down") == 0);
}

TEST_CASE("most recent upstream calls failing makes a healthy pool degraded") {
  auto h = assess_health({account("active")}, {300, 4, 4}, now);
  CHECK(h.status == "degraded");
  CHECK(h.reasons.at(0) == "100% of upstream calls failed in the last 300 s (4 of 4)");
  CHECK(assess_health({account("active")}, {300, 4, 1}, now).status == "ok");
  // Too few calls to judge.
  CHECK(assess_health({account("active")}, {300, 2, 2}, now).status == "ok");
}

TEST_CASE("the call window counts only the calls since its start") {
  call_rate_tracker t{0, 1000};
  CHECK(t.sample(500, 4, 4).failures == 4); // since start
  auto w = t.sample(1200, 10, 4);
  CHECK(w.calls == 10); // the start point is still the newest at or before 200
  w = t.sample(2000, 12, 4);
  CHECK(w.calls == 8); // base: the point at 500, the newest at or before 1000
  CHECK(w.failures == 0);
  CHECK(w.seconds == 1);
  w = t.sample(3000, 13, 5);
  CHECK(w.calls == 1); // base: the point at 2000
  CHECK(w.failures == 1);
}

TEST_CASE("the gauge levels order the statuses") {
  CHECK(health_level("ok") == 0);
  CHECK(health_level("degraded") == 1);
  CHECK(health_level("down") == 2);
}
