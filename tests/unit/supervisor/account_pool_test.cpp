#include <doctest/doctest.h>

#include "services/supervisor/account_pool.hpp"

using namespace kb;
using namespace kb::pool;

namespace {

account_entry make(std::string id, int32_t priority, size_t order,
                   double percent, int32_t idle = 1) {
  account_entry a;
  a.id = std::move(id);
  a.priority = priority;
  a.order = order;
  a.percent_used = percent;
  a.idle_workers = idle;
  return a;
}

std::vector<account_entry> three() {
  return {make("a", 1, 0, 50), make("b", 0, 1, 10), make("c", 0, 2, 30)};
}

std::string picked(strategy s, const std::vector<account_entry>& xs,
                   std::vector<std::string> excluded = {}, uint64_t draw = 0) {
  size_t cursor = 0;
  auto i = pick(s, xs, 1000, excluded, cursor, draw);
  return i ? xs[*i].id : std::string{"none"};
}

} // namespace

TEST_CASE("strategy names from the config parse, unknown names do not") {
  CHECK(parse_strategy("auto") == strategy::auto_);
  CHECK(parse_strategy("round-robin") == strategy::round_robin);
  CHECK(parse_strategy("least-inflight") == strategy::least_inflight);
  CHECK_FALSE(parse_strategy("fastest").has_value());
}

TEST_CASE("auto picks the account with the lowest percent used") {
  CHECK(picked(strategy::auto_, three()) == "b");
}

TEST_CASE("first picks by priority, then file order") {
  CHECK(picked(strategy::first, three()) == "b");
  auto xs = three();
  xs[1].priority = 5;
  CHECK(picked(strategy::first, xs) == "c");
}

TEST_CASE("random picks the candidate the draw selects") {
  CHECK(picked(strategy::random, three(), {}, 0) == "a");
  CHECK(picked(strategy::random, three(), {}, 4) == "b");
}

TEST_CASE("round-robin walks the accounts in order and wraps") {
  auto xs = three();
  size_t cursor = 0;
  std::vector<std::string> seen;
  for (int k = 0; k < 4; ++k)
    seen.push_back(xs[*pick(strategy::round_robin, xs, 0, {}, cursor, 0)].id);
  CHECK(seen == std::vector<std::string>{"a", "b", "c", "a"});
}

TEST_CASE("least-inflight prefers the least loaded account") {
  auto xs = three();
  xs[0].in_flight = 0;
  xs[1].in_flight = 3;
  xs[2].in_flight = 1;
  CHECK(picked(strategy::least_inflight, xs) == "a");
}

TEST_CASE("accounts without idle workers, excluded or unusable are skipped") {
  auto xs = three();
  xs[1].idle_workers = 0;
  CHECK(picked(strategy::auto_, xs) == "c");
  CHECK(picked(strategy::auto_, xs, {"c"}) == "a");
  xs[0].state = account_state::disabled;
  CHECK(picked(strategy::auto_, xs, {"c"}) == "none");
  xs[2].state = account_state::cooldown;
  xs[2].available_at_ms = 5000;
  CHECK(picked(strategy::auto_, xs) == "none");
  xs[2].available_at_ms = 900;
  CHECK(picked(strategy::auto_, xs) == "c");
}

TEST_CASE("healthy accounts are preferred over accounts in error") {
  auto xs = three();
  xs[1].state = account_state::error;
  CHECK(picked(strategy::auto_, xs) == "c");
}

TEST_CASE("a quota failure exhausts the account until the reset date") {
  auto a = make("a", 0, 0, 20);
  auto v = apply_failure(a, {failure_class::quota_exhausted, 402, "MONTHLY_REQUEST_COUNT", "limit"},
                         1000, 99999, false, true);
  CHECK(v.step == next_step::retry_other);
  CHECK(v.account_changed);
  CHECK(a.state == account_state::exhausted);
  CHECK(a.available_at_ms == 99999);
  CHECK_FALSE(usable(a, 5000));
  CHECK(usable(a, 99999));
}

TEST_CASE("throttling cools the account down with growing backoff") {
  auto a = make("a", 0, 0, 0);
  apply_failure(a, {failure_class::throttled, 429, "", "slow down"}, 0, 0, false, true);
  CHECK(a.state == account_state::cooldown);
  CHECK(a.available_at_ms == 2000);
  apply_failure(a, {failure_class::throttled, 429, "", "slow down"}, 0, 0, false, true);
  CHECK(a.available_at_ms == 4000);
  CHECK(throttle_cooldown_ms(30) == 300000);
  apply_success(a);
  CHECK(a.consecutive_throttles == 0);
}

TEST_CASE("an invalid bearer refreshes once, then moves on") {
  auto a = make("a", 0, 0, 0);
  auto first = apply_failure(a, {failure_class::invalid_bearer, 403, "", "bad"}, 0, 0, false, true);
  CHECK(first.step == next_step::refresh_then_retry);
  CHECK(a.state == account_state::active);
  auto second = apply_failure(a, {failure_class::invalid_bearer, 403, "", "bad"}, 0, 0, true, true);
  CHECK(second.step == next_step::retry_other);
  CHECK(a.state == account_state::error);
}

TEST_CASE("a suspended account is disabled") {
  auto a = make("a", 0, 0, 0);
  auto v = apply_failure(a, {failure_class::suspended, 403, "TEMPORARILY_SUSPENDED", "locked"}, 0, 0, false, true);
  CHECK(v.step == next_step::retry_other);
  CHECK(a.state == account_state::disabled);
}

TEST_CASE("client errors fail the request without blaming the account") {
  auto a = make("a", 0, 0, 0);
  auto v = apply_failure(a, {failure_class::input_too_long, 400, "CONTENT_LENGTH_EXCEEDS_THRESHOLD", "long"}, 0, 0, false, true);
  CHECK(v.step == next_step::fail);
  CHECK(a.state == account_state::active);
}

TEST_CASE("without autoSwitchOnError failures go to the client") {
  auto a = make("a", 0, 0, 0);
  auto v = apply_failure(a, {failure_class::throttled, 429, "", "slow"}, 0, 0, false, false);
  CHECK(v.step == next_step::fail);
}

TEST_CASE("server errors retry elsewhere and degrade the account after three") {
  auto a = make("a", 0, 0, 0);
  for (int k = 0; k < 2; ++k) {
    auto v = apply_failure(a, {failure_class::server_error, 500, "", "load"}, 0, 0, false, true);
    CHECK(v.step == next_step::retry_other);
    CHECK(a.state == account_state::active);
  }
  apply_failure(a, {failure_class::server_error, 500, "", "load"}, 0, 0, false, true);
  CHECK(a.state == account_state::error);
  apply_success(a);
  CHECK(a.state == account_state::active);
}

TEST_CASE("expired cooldowns return to active") {
  std::vector<account_entry> xs{make("a", 0, 0, 0)};
  xs[0].state = account_state::cooldown;
  xs[0].available_at_ms = 100;
  CHECK_FALSE(expire_timeouts(xs, 50));
  CHECK(expire_timeouts(xs, 100));
  CHECK(xs[0].state == account_state::active);
}

TEST_CASE("the unavailability message names why and when") {
  CHECK(explain_unavailable({}, 0).message.find("no Kiro account is configured") == 0);
  std::vector<account_entry> xs{make("a", 0, 0, 0), make("b", 0, 1, 0)};
  xs[0].state = account_state::exhausted;
  xs[0].available_at_ms = 10000;
  xs[1].state = account_state::cooldown;
  xs[1].available_at_ms = 3000;
  auto u = explain_unavailable(xs, 1000);
  CHECK(u.quota);
  CHECK(u.retry_after_ms == 2000);
  CHECK(u.message == "no Kiro account can serve this request (2 configured: 1 out of quota, 1 cooling down after throttling)");
  xs[1].state = account_state::disabled;
  CHECK_FALSE(explain_unavailable(xs, 1000).quota);
}
