// kb::sup::ticket_pool: tickets leave in the order they were issued, and
// revoking takes back only those nobody took.

#include <doctest/doctest.h>

#include "services/supervisor/ticket_pool.hpp"

using kb::sup::ticket;
using kb::sup::ticket_pool;

namespace {

ticket make_ticket(uint64_t id, std::string account) {
  ticket t;
  t.id = id;
  t.account_id = std::move(account);
  return t;
}

} // namespace

TEST_CASE("tickets are taken in the order they were issued") {
  ticket_pool pool;
  CHECK_FALSE(pool.take());
  pool.add(make_ticket(1, "a"));
  pool.add(make_ticket(2, "b"));
  pool.add(make_ticket(3, "a"));
  CHECK(pool.untaken("a") == 2);
  CHECK(pool.untaken("b") == 1);
  CHECK(pool.take()->id == 1);
  CHECK(pool.untaken("a") == 1);
  CHECK(pool.take()->id == 2);
  CHECK(pool.take()->id == 3);
  CHECK_FALSE(pool.take());
}

TEST_CASE("revoking takes back the selected untaken tickets and keeps the order of the rest") {
  ticket_pool pool;
  for (uint64_t id = 1; id <= 5; ++id)
    pool.add(make_ticket(id, id % 2 == 0 ? "b" : "a"));
  auto taken = pool.take(); // ticket 1, out of reach of a revoke
  REQUIRE(taken);
  auto ids = pool.revoke([](const ticket& t) { return t.account_id == "a"; });
  CHECK(ids == std::vector<uint64_t>{3, 5});
  CHECK(pool.untaken("a") == 0);
  CHECK(pool.take()->id == 2);
  CHECK(pool.take()->id == 4);
  CHECK(pool.revoke([](const ticket&) { return true; }).empty());
}

TEST_CASE("a request takes the oldest ticket of an account that serves its model") {
  ticket_pool pool;
  auto free = make_ticket(1, "free");
  free.access.subscription_title = "KIRO FREE";
  pool.add(free);
  pool.add(make_ticket(2, "pro"));
  CHECK(pool.take("claude-opus-4.7").value().account_id == "pro");
  CHECK_FALSE(pool.take("claude-opus-4.7"));
  CHECK(pool.take("claude-sonnet-4.5").value().account_id == "free");
}
