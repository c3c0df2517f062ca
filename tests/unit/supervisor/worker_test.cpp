// A real worker (its own thread, its keep-alive HTTP client) against an
// upstream served in the test: event-stream frames reach the sink, the
// outcome reaches the caller, and stray messages do not jam its mailbox.

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/common/actor_setup.hpp"
#include "services/http/http_server.hpp"
#include "services/supervisor/messages.hpp"
#include "services/supervisor/worker.hpp"
#include "shared/eventstream/codec.hpp"
#include "tests/support/serving.hpp"

using namespace std::chrono_literals;

namespace {

/// Answers POST /generateAssistantResponse with two text frames, metering
/// and context usage, as Kiro does; counts the calls.
struct fake_kiro {
  kb::http_server server;
  int port = 0;
  std::atomic<int> calls{0};
  std::optional<kb::test::serving<kb::http_server>> serving;
  fake_kiro() {
    server.Post("/generateAssistantResponse", [this](const httplib::Request& req,
                                                     httplib::Response& res) {
      ++calls;
      CHECK(req.get_header_value("Authorization") == "Bearer token-1");
      std::string body = kb::eventstream::encode_event("assistantResponseEvent", R"({"content":"Hel"})") +
                         kb::eventstream::encode_event("assistantResponseEvent", R"({"content":"lo"})") +
                         kb::eventstream::encode_event("meteringEvent", R"({"unit":"credit","usage":0.25})") +
                         kb::eventstream::encode_event("contextUsageEvent", R"({"contextUsagePercentage":1.5})");
      res.set_content(body, "application/vnd.amazon.eventstream");
    });
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    serving.emplace(server);
  }
};

struct worker_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  worker_fixture() : sys((kb::configure_actor_system(cfg, 1), cfg)) {}
};

kb::sup::dispatch make_dispatch(const caf::actor& sink, std::string request_id) {
  auto conv = std::make_shared<kb::conversation>();
  conv->request_id = std::move(request_id);
  conv->model = "claude-sonnet-4-5";
  conv->upstream_model = "claude-sonnet-4.5";
  conv->max_tokens = 64;
  kb::turn t;
  t.text = "hi";
  conv->turns.push_back(t);
  kb::sup::dispatch d;
  d.conv = conv;
  d.sink = sink;
  d.account_id = "acct-1";
  d.creds.access_token = "token-1";
  d.creds.profile_arn = "arn:aws:codewhisperer:us-east-1:000000000000:profile/TEST";
  d.cancel = std::make_shared<kb::call_cancel>();
  return d;
}

} // namespace

TEST_CASE_FIXTURE(worker_fixture, "a worker streams the upstream answer to the sink and reports the outcome") {
  fake_kiro kiro;
  kb::sup::worker_config wc;
  wc.account_id = "acct-1";
  wc.api_base_url = "http://127.0.0.1:" + std::to_string(kiro.port);
  auto worker = kb::sup::spawn_worker(sys, wc).actor;
  caf::scoped_actor self{sys};
  for (int i = 0; i < 20; ++i) {
    auto rid = "req_" + std::to_string(i);
    kb::sup::call_outcome outcome;
    bool answered = false;
    self->request(worker, 10s, kb::atom::run::value, make_dispatch(self, rid))
      .receive([&](kb::sup::call_outcome& o) { outcome = o; answered = true; },
               [&](caf::error& e) { FAIL("worker error: " << sys.render(e)); });
    REQUIRE(answered);
    CHECK(outcome.result == kb::sup::call_result::completed);
    CHECK(outcome.credits == doctest::Approx(0.25));
    CHECK(outcome.context_percent == doctest::Approx(1.5));
    std::string text;
    self->receive(
      [&](kb::atom::done, const std::string& got_rid, std::vector<kb::stream_event>& events,
          const std::string& account) {
        CHECK(got_rid == rid);
        CHECK(account == "acct-1");
        for (auto& ev : events)
          if (ev.kind == kb::stream_event_kind::text)
            text += ev.text;
      },
      caf::after(5s) >> [] { FAIL("no done message"); });
    CHECK(text == "Hello");
  }
  CHECK(kiro.calls == 20);
  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  self->wait_for(worker);
}

TEST_CASE_FIXTURE(worker_fixture, "a worker answers a message it does not know with an error and keeps working") {
  kb::sup::worker_config wc;
  wc.account_id = "acct-1";
  wc.api_base_url = "not a url";
  auto worker = kb::sup::spawn_worker(sys, wc).actor;
  caf::scoped_actor self{sys};
  caf::error refusal;
  self->request(worker, 5s, std::string{"stray"})
    .receive([](const caf::message&) {}, [&](caf::error& e) { refusal = e; });
  CHECK(refusal == caf::sec::unexpected_message); // at once, not the 5 s timeout
  kb::sup::call_outcome outcome;
  self->request(worker, 5s, kb::atom::run::value, make_dispatch(self, "req_x"))
    .receive([&](kb::sup::call_outcome& o) { outcome = o; },
             [&](caf::error& e) { FAIL("worker error: " << sys.render(e)); });
  CHECK(outcome.result == kb::sup::call_result::upstream_failed);
  CHECK(outcome.failure.message.find("invalid Kiro API URL") != std::string::npos);
  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  self->wait_for(worker);
}
