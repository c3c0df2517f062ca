#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "services/common/metrics.hpp"

using namespace kb::metrics;

TEST_CASE("a counter family renders its help, type and each series") {
  registry r;
  r.describe("kb_requests_total", kind::counter, "Requests served.");
  r.add("kb_requests_total", {{"route", "/v1/messages"}, {"status", "200"}});
  r.add("kb_requests_total", {{"route", "/v1/messages"}, {"status", "200"}}, 2);
  r.add("kb_requests_total", {{"route", "/v1/models"}, {"status", "401"}});
  CHECK(r.render() ==
        "# HELP kb_requests_total Requests served.\n"
        "# TYPE kb_requests_total counter\n"
        "kb_requests_total{route=\"/v1/messages\",status=\"200\"} 3\n"
        "kb_requests_total{route=\"/v1/models\",status=\"401\"} 1\n");
}

TEST_CASE("a histogram renders cumulative buckets, +Inf, sum and count") {
  registry r;
  r.describe("kb_latency_seconds", kind::histogram, "Latency.", {0.1, 1});
  r.observe("kb_latency_seconds", {}, 0.05);
  r.observe("kb_latency_seconds", {}, 0.1);
  r.observe("kb_latency_seconds", {}, 0.5);
  r.observe("kb_latency_seconds", {}, 7);
  CHECK(r.render() ==
        "# HELP kb_latency_seconds Latency.\n"
        "# TYPE kb_latency_seconds histogram\n"
        "kb_latency_seconds_bucket{le=\"0.1\"} 2\n"
        "kb_latency_seconds_bucket{le=\"1\"} 3\n"
        "kb_latency_seconds_bucket{le=\"+Inf\"} 4\n"
        "kb_latency_seconds_sum 7.65\n"
        "kb_latency_seconds_count 4\n");
}

TEST_CASE("a cleared gauge family disappears until it is set again") {
  registry r;
  r.set("kb_accounts", {{"state", "active"}}, 2);
  CHECK(r.value("kb_accounts", {{"state", "active"}}) == 2);
  r.clear("kb_accounts");
  CHECK(r.render().empty());
  r.set("kb_accounts", {{"state", "cooldown"}}, 1);
  CHECK(r.render() == "# TYPE kb_accounts gauge\nkb_accounts{state=\"cooldown\"} 1\n");
}

TEST_CASE("label values are escaped so that a series stays one line") {
  CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  CHECK(render_labels({{"model", "x\"y"}}) == "{model=\"x\\\"y\"}");
  CHECK(render_labels({}) == "");
}

TEST_CASE("numbers use the shortest text that reads back exactly") {
  CHECK(format_number(3) == "3");
  CHECK(format_number(0.25) == "0.25");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(-2) == "-2");
}

TEST_CASE("counters added from many threads lose no increment") {
  registry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&r] {
      for (int i = 0; i < 1000; ++i)
        r.add("kb_hits_total", {{"k", "v"}});
    });
  for (auto& t : threads)
    t.join();
  CHECK(r.value("kb_hits_total", {{"k", "v"}}) == 8000);
}
