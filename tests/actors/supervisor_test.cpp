// The supervisor's policies, driven deterministically: CAF's testing
// scheduler runs every message by hand and a manual clock drives time.
// Workers and the maintainer are scripted actors standing at the I/O seam
// (the real ones are exercised against kiro-sim in tests/integration and
// tests/conformance).

#include <doctest/doctest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "proto/message_types.hpp"
#include "services/common/log.hpp"
#include "services/supervisor/messages.hpp"
#include "services/supervisor/supervisor.hpp"
#include "services/supervisor/ticket_pool.hpp"
#include "services/supervisor/upstream_line.hpp"

using namespace kb;
using namespace kb::sup;
using namespace std::chrono_literals;

namespace {

/// What scripted workers do with the next call to an account.
struct call_script {
  call_result result = call_result::completed;
  upstream_failure failure;
  bool hold = false; ///< keep the call open until release()
};

/// Shared between the test and its scripted actors.
struct world {
  std::map<std::string, std::deque<call_script>> calls; ///< per account id
  std::vector<std::string> served_by;                  ///< account per call
  std::vector<std::string> tokens_used;                ///< access token per call
  std::vector<caf::actor> held; ///< workers holding a call open
  std::deque<refresh_outcome> refreshes;
  int refresh_calls = 0;
  int usage_calls = 0;
  double usage_percent = 10;
  std::vector<std::string> persisted;
  bool hold_persists = false; ///< answer saves only when the test says so
  std::vector<caf::typed_response_promise<bool>> held_persists;
  caf::actor_addr persister; ///< `ok` to it answers the held saves
  std::vector<std::string> sink_log;
  std::vector<std::shared_ptr<kb::call_cancel>> cancel_flags;
  /// ListAvailableModels per account; accounts without one answer 500.
  std::map<std::string, std::vector<account::kiro_model>> model_lists;
  std::map<std::string, std::string> subscriptions; ///< subscriptionTitle per account
};

struct worker_state {
  std::vector<caf::response_promise> held;
};

caf::behavior scripted_worker(caf::stateful_actor<worker_state>* self,
                              std::shared_ptr<world> w) {
  return {
    [self](caf::ok_atom, call_outcome& o) {
      auto rp = self->state.held.front();
      self->state.held.erase(self->state.held.begin());
      rp.deliver(std::move(o));
    },
    [self, w](atom::run, dispatch& d) -> caf::result<call_outcome> {
      w->served_by.push_back(d.account_id);
      w->tokens_used.push_back(d.creds.access_token);
      w->cancel_flags.push_back(d.cancel);
      call_script s;
      auto& q = w->calls[d.account_id];
      if (!q.empty()) {
        s = q.front();
        q.pop_front();
      }
      if (s.hold) {
        self->state.held.push_back(self->make_response_promise());
        w->held.push_back(caf::actor_cast<caf::actor>(self));
        return caf::delegated<call_outcome>{};
      }
      if (s.result == call_result::completed)
        self->send(d.sink, atom::done::value, d.conv->request_id,
                   std::vector<stream_event>{}, d.account_id);
      call_outcome o;
      o.result = s.result;
      o.failure = s.failure;
      return o;
    },
  };
}

caf::behavior scripted_maintainer(caf::event_based_actor*, std::shared_ptr<world> w) {
  return {
    [w](atom::refresh, const std::string&, const account::credentials&) {
      w->refresh_calls += 1;
      refresh_outcome o;
      if (!w->refreshes.empty()) {
        o = w->refreshes.front();
        w->refreshes.pop_front();
      } else {
        o.ok = true;
        o.value.access_token = "fresh-" + std::to_string(w->refresh_calls);
        o.value.expires_at_ms = 1'000'000 + 3'600'000;
      }
      return o;
    },
    [](atom::models, const std::string& id, const account::credentials&) {
      return caf::make_message(true, std::string{R"(["auto","asked-via-)"} + id + "\"]");
    },
    [w](atom::usage, const std::string& id, const account::credentials&) {
      w->usage_calls += 1;
      usage_outcome o;
      o.ok = true;
      o.value.percent_used = w->usage_percent;
      o.value.subscription_title = w->subscriptions[id];
      return o;
    },
    [w](atom::model_list, const std::string& id, const account::credentials&) {
      models_outcome o;
      auto it = w->model_lists.find(id);
      o.ok = it != w->model_lists.end();
      if (o.ok)
        o.models = it->second;
      else
        o.failure = {failure_class::server_error, 500, "", "no list scripted"};
      return o;
    },
  };
}

caf::behavior recording_persister(caf::event_based_actor* self, std::shared_ptr<world> w) {
  w->persister = self->address();
  return {
    // A promise is delivered in its actor's context, not the test's.
    [w](caf::ok_atom) {
      for (auto& rp : w->held_persists)
        rp.deliver(true);
      w->held_persists.clear();
    },
    [self, w](atom::persist, const std::string&, const std::string& content)
      -> caf::result<bool> {
      w->persisted.push_back(content);
      if (!w->hold_persists)
        return true;
      auto rp = self->make_response_promise<bool>();
      w->held_persists.push_back(rp);
      return rp;
    },
  };
}

caf::behavior recording_sink(caf::event_based_actor*, std::shared_ptr<world> w) {
  return {
    [w](atom::events, const std::string&, const std::vector<stream_event>&) {
      w->sink_log.push_back("events");
    },
    [w](atom::done, const std::string&, const std::vector<stream_event>&,
        const std::string& account) {
      w->sink_log.push_back("done:" + account);
    },
    [w](atom::failed, const std::string&, const api_error& err) {
      w->sink_log.push_back("failed:" + std::to_string(err.status()) + ":" +
                            err.message);
    },
  };
}

config::account make_account(std::string id, int priority = 0) {
  config::account a;
  a.id = std::move(id);
  a.email = a.id + "@example.com";
  a.priority = priority;
  a.credentials.access_token = "token-" + a.id;
  a.credentials.refresh_token = "refresh-" + a.id;
  a.credentials.expires_at_ms = 1'000'000 + 3'600'000;
  return a;
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<world> w = std::make_shared<world>();
  std::shared_ptr<int64_t> clock = std::make_shared<int64_t>(1'000'000);
  caf::actor supervisor;

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    kb::log::set_level(kb::log::level::error);
    kb::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  ~fixture() {
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    sched->run();
  }

  supervisor_config base_config(std::vector<config::account> accounts) {
    supervisor_config c;
    c.accounts.accounts = std::move(accounts);
    c.accounts_path = "unused-in-tests.json";
    c.workers_per_account = 1;
    c.queue_timeout_ms = 5000;
    c.tick_ms = 250;
    auto clk = clock;
    c.now_ms = [clk] { return *clk; };
    auto ww = w;
    c.make_worker = [ww](caf::actor_system& s, const worker_config&) {
      return spawned_worker{s.spawn(scripted_worker, ww), nullptr};
    };
    c.make_maintainer = [ww](caf::actor_system& s) {
      return s.spawn(scripted_maintainer, ww);
    };
    c.make_persister = [ww](caf::actor_system& s) {
      return s.spawn(recording_persister, ww);
    };
    return c;
  }

  void start(supervisor_config c) {
    supervisor = spawn_supervisor(*sys, std::move(c));
    sched->run();
  }

  caf::actor new_sink() {
    return sys->spawn(recording_sink, w);
  }

  void generate(const caf::actor& sink, std::string text = "hi") {
    conversation conv;
    conv.request_id = "req_test";
    turn t;
    t.text = std::move(text);
    conv.turns.push_back(t);
    caf::anon_send(supervisor, atom::generate::value, conv, sink);
    sched->run();
  }

  void generate_model(const caf::actor& sink, std::string claude, std::string kiro) {
    conversation conv;
    conv.request_id = "req_test";
    conv.model = std::move(claude);
    conv.upstream_model = std::move(kiro);
    turn t;
    t.text = "hi";
    conv.turns.push_back(t);
    caf::anon_send(supervisor, atom::generate::value, conv, sink);
    sched->run();
  }

  void advance(int64_t ms) {
    *clock += ms;
    sched->advance_time(std::chrono::milliseconds(ms));
    sched->run();
  }

  std::vector<account_status> statuses() {
    std::vector<account_status> out;
    caf::scoped_actor self{*sys};
    self->send(supervisor, caf::get_atom::value, atom::accounts::value);
    sched->run();
    self->receive([&](std::vector<account_status>& xs) { out = std::move(xs); });
    return out;
  }

  /// Completes the oldest call held open by a scripted worker.
  void release(call_outcome o) {
    REQUIRE_FALSE(w->held.empty());
    auto worker = w->held.front();
    w->held.erase(w->held.begin());
    caf::anon_send(worker, caf::ok_atom::value, std::move(o));
    sched->run();
  }

  /// Workers with upstream lines (never called here: the test makes the
  /// ticketed calls' outcomes up) and a ticket pool, as in one process.
  supervisor_config ticketed_config(std::vector<config::account> accounts, int workers) {
    auto c = base_config(std::move(accounts));
    c.workers_per_account = workers;
    c.tickets = tickets;
    auto ww = w;
    c.make_worker = [ww](caf::actor_system& s, const worker_config& wc) {
      return spawned_worker{s.spawn(scripted_worker, ww), std::make_shared<upstream_line>(wc)};
    };
    return c;
  }

  /// What the gateway tells the supervisor after the call of ticket `t`;
  /// a failed call brings its request along.
  void ticket_done(const ticket& t, call_outcome o, const caf::actor& sink = {}) {
    if (o.result == call_result::upstream_failed) {
      dispatch d;
      d.conv = std::make_shared<const conversation>();
      d.sink = sink;
      d.account_id = t.account_id;
      d.creds = t.creds;
      d.cancel = std::make_shared<kb::call_cancel>();
      caf::anon_send(supervisor, atom::run::value, t.id, std::move(o), std::move(d));
    } else {
      caf::anon_send(supervisor, atom::run::value, t.id, std::move(o));
    }
    sched->run();
  }

  int32_t in_flight_of(const std::string& id) {
    for (auto& s : statuses())
      if (s.id == id)
        return s.in_flight;
    return -1;
  }

  std::shared_ptr<ticket_pool> tickets = std::make_shared<ticket_pool>();

  std::string state_of(const std::string& id) {
    for (auto& s : statuses())
      if (s.id == id)
        return s.state;
    return "?";
  }
};

upstream_failure failure(failure_class cls, int status, std::string msg) {
  return {cls, status, "", std::move(msg)};
}

} // namespace

TEST_CASE_FIXTURE(fixture, "a request is served by the strategy's account") {
  auto c = base_config({make_account("a", 1), make_account("b", 0)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  generate(new_sink());
  CHECK(w->served_by == std::vector<std::string>{"b"});
  CHECK(w->sink_log == std::vector<std::string>{"done:b"});
}

TEST_CASE_FIXTURE(fixture, "with no account configured the client gets a clear error") {
  start(base_config({}));
  generate(new_sink());
  REQUIRE(w->sink_log.size() == 1);
  CHECK(w->sink_log[0].rfind("failed:503:no Kiro account is configured", 0) == 0);
  CHECK(w->sink_log[0].find("kiroctl accounts import") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "when every account is disabled the client gets a 503, not a 529 it would retry") {
  auto c = base_config({make_account("a")});
  start(std::move(c));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::suspended, 403, "locked")});
  generate(new_sink());
  CHECK(state_of("a") == "disabled");
  REQUIRE(w->sink_log.size() == 1);
  CHECK(w->sink_log[0].rfind("failed:503:no Kiro account can serve", 0) == 0);
  CHECK(w->sink_log[0].find("1 disabled") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "an account cooling down still answers 429 with its retry-after") {
  auto c = base_config({make_account("a")});
  start(std::move(c));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::throttled, 429, "slow down")});
  generate(new_sink());
  REQUIRE(w->sink_log.size() == 1);
  CHECK(w->sink_log[0].rfind("failed:429:", 0) == 0);
}

TEST_CASE_FIXTURE(fixture, "a quota error fails over to another account before any byte") {
  auto c = base_config({make_account("a"), make_account("b", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::quota_exhausted, 402, "limit")});
  generate(new_sink());
  CHECK(w->served_by == std::vector<std::string>{"a", "b"});
  CHECK(w->sink_log == std::vector<std::string>{"done:b"});
  CHECK(state_of("a") == "exhausted");
  generate(new_sink());
  CHECK(w->served_by.back() == "b");
}

TEST_CASE_FIXTURE(fixture, "an account a 402 exhausted stays out when usage polling still shows room") {
  auto c = base_config({make_account("a"), make_account("b", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  w->usage_percent = 10; // the usage report lags behind the 402
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::quota_exhausted, 402, "limit")});
  generate(new_sink());
  auto polls = w->usage_calls;
  advance(500); // the 402 asks for a usage poll at the next tick
  CHECK(w->usage_calls > polls);
  CHECK(state_of("a") == "exhausted");
  generate(new_sink());
  CHECK(w->served_by == std::vector<std::string>{"a", "b", "b"});
}

TEST_CASE_FIXTURE(fixture, "throttling cools an account down and it comes back") {
  auto c = base_config({make_account("a"), make_account("b", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::throttled, 429, "slow down")});
  generate(new_sink());
  CHECK(state_of("a") == "cooldown");
  advance(2000);
  CHECK(state_of("a") == "active");
  generate(new_sink());
  CHECK(w->served_by.back() == "a");
}

TEST_CASE_FIXTURE(fixture, "when every account is throttled the client gets 429, never 401") {
  start(base_config({make_account("a"), make_account("b")}));
  for (auto id : {"a", "b"})
    w->calls[id].push_back({call_result::upstream_failed,
                            failure(failure_class::throttled, 429, "slow down")});
  generate(new_sink());
  REQUIRE(w->sink_log.size() == 1);
  CHECK(w->sink_log[0].rfind("failed:429:", 0) == 0);
  CHECK(w->sink_log[0].find("cooling down") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "an invalid bearer refreshes the token once and retries the same account") {
  start(base_config({make_account("a")}));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::invalid_bearer, 403, "bearer invalid")});
  generate(new_sink());
  CHECK(w->refresh_calls == 1);
  CHECK(w->served_by == std::vector<std::string>{"a", "a"});
  CHECK(w->tokens_used == std::vector<std::string>{"token-a", "fresh-1"});
  CHECK(w->sink_log == std::vector<std::string>{"done:a"});
  REQUIRE_FALSE(w->persisted.empty());
  CHECK(w->persisted.back().find("fresh-1") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a refreshed token is used only once the accounts file holds it") {
  w->hold_persists = true;
  start(base_config({make_account("a")}));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::invalid_bearer, 403, "bearer invalid")});
  generate(new_sink());
  CHECK(w->refresh_calls == 1);
  REQUIRE_FALSE(w->persisted.empty());
  CHECK(w->persisted.back().find("fresh-1") != std::string::npos);
  CHECK(w->tokens_used == std::vector<std::string>{"token-a"}); // the retry waits
  CHECK(w->sink_log.empty());
  caf::anon_send(caf::actor_cast<caf::actor>(w->persister), caf::ok_atom::value);
  sched->run();
  CHECK(w->tokens_used == std::vector<std::string>{"token-a", "fresh-1"});
  CHECK(w->sink_log == std::vector<std::string>{"done:a"});
}

TEST_CASE_FIXTURE(fixture, "a rejected refresh token disables the account") {
  start(base_config({make_account("a"), make_account("b", 1)}));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::invalid_bearer, 403, "bearer invalid")});
  refresh_outcome rejected;
  rejected.failure = failure(failure_class::refresh_rejected, 400, "invalid_grant");
  w->refreshes.push_back(rejected);
  generate(new_sink());
  CHECK(state_of("a") == "disabled");
  CHECK(w->sink_log == std::vector<std::string>{"done:b"});
}

TEST_CASE_FIXTURE(fixture, "suspension disables the account and the request moves on") {
  auto c = base_config({make_account("a"), make_account("b", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::suspended, 403, "locked")});
  generate(new_sink());
  CHECK(state_of("a") == "disabled");
  CHECK(w->sink_log == std::vector<std::string>{"done:b"});
}

TEST_CASE_FIXTURE(fixture, "a prompt that is too long is the client's error, not a failover") {
  start(base_config({make_account("a"), make_account("b")}));
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::input_too_long, 400, "Input is too long.")});
  w->calls["b"].push_back({call_result::upstream_failed,
                           failure(failure_class::input_too_long, 400, "Input is too long.")});
  generate(new_sink());
  CHECK(w->served_by.size() == 1);
  REQUIRE(w->sink_log.size() == 1);
  CHECK(w->sink_log[0].rfind("failed:400:", 0) == 0);
}

TEST_CASE_FIXTURE(fixture, "requests queue while every worker is busy and start when one frees") {
  start(base_config({make_account("a")}));
  w->calls["a"].push_back({call_result::completed, {}, true});
  auto first = new_sink();
  auto second = new_sink();
  generate(first);
  generate(second);
  CHECK(w->served_by.size() == 1);
  REQUIRE(w->held.size() == 1);
  release(call_outcome{});
  CHECK(w->served_by.size() == 2);
}

TEST_CASE_FIXTURE(fixture, "a queued request past its deadline gets 529 overloaded") {
  start(base_config({make_account("a")}));
  w->calls["a"].push_back({call_result::completed, {}, true});
  generate(new_sink());
  generate(new_sink());
  advance(5250);
  REQUIRE(w->sink_log.size() == 1);
  CHECK(w->sink_log[0].rfind("failed:529:", 0) == 0);
  CHECK(w->sink_log[0].find("busy") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a client that goes away cancels its upstream call") {
  start(base_config({make_account("a")}));
  w->calls["a"].push_back({call_result::completed, {}, true});
  auto sink = new_sink();
  generate(sink);
  REQUIRE(w->cancel_flags.size() == 1);
  CHECK_FALSE(w->cancel_flags[0]->cancelled());
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  sched->run();
  CHECK(w->cancel_flags[0]->cancelled());
  call_outcome aborted;
  aborted.result = call_result::aborted;
  release(aborted);
  generate(new_sink());
  CHECK(w->served_by.size() == 2);
}

TEST_CASE_FIXTURE(fixture, "a sink reused for a second request still cancels it when it goes away") {
  auto c = base_config({make_account("a")});
  c.workers_per_account = 2;
  start(std::move(c));
  w->calls["a"].push_back({call_result::completed, {}, true});
  w->calls["a"].push_back({call_result::completed, {}, true});
  auto sink = new_sink();
  generate(sink);
  generate(sink);
  REQUIRE(w->cancel_flags.size() == 2);
  release(call_outcome{}); // the first call ends; the sink still waits on the second
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  sched->run();
  CHECK_FALSE(w->cancel_flags[0]->cancelled());
  CHECK(w->cancel_flags[1]->cancelled());
}

TEST_CASE_FIXTURE(fixture, "tokens are refreshed on a timer before they expire") {
  auto acct = make_account("a");
  acct.credentials.expires_at_ms = 1'000'000 + 600'000;
  auto c = base_config({acct});
  c.refresh_buffer_seconds = 300;
  start(std::move(c));
  CHECK(w->refresh_calls == 0);
  advance(299'000);
  CHECK(w->refresh_calls == 0);
  advance(1'250);
  CHECK(w->refresh_calls == 1);
  generate(new_sink());
  CHECK(w->tokens_used.back() == "fresh-1");
}

TEST_CASE_FIXTURE(fixture, "usage polling marks a fully used account exhausted") {
  w->usage_percent = 100;
  start(base_config({make_account("a")}));
  advance(250);
  CHECK(w->usage_calls >= 1);
  CHECK(state_of("a") == "exhausted");
}

namespace {

/// Sends a command and returns its (ok, message) reply.
std::pair<bool, std::string> command(fixture& f, caf::message msg) {
  caf::scoped_actor self{*f.sys};
  std::pair<bool, std::string> out{false, "no reply"};
  self->send(f.supervisor, std::move(msg));
  f.sched->run();
  self->receive([&](bool ok, std::string& text) { out = {ok, std::move(text)}; },
                caf::after(std::chrono::seconds(0)) >> [] {});
  return out;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "an account added at run time serves the next request") {
  start(base_config({}));
  auto [ok, reply] = command(*this, caf::make_message(atom::add::value,
    std::string{R"({"id":"n1","email":"n1@example.com","credentials":{"accessToken":"tok-n1","refreshToken":"r-n1","expiresAt":4600000}})"}));
  CHECK(ok);
  CHECK(reply == R"({"id":"n1"})");
  generate(new_sink());
  CHECK(w->served_by == std::vector<std::string>{"n1"});
  REQUIRE_FALSE(w->persisted.empty());
  CHECK(w->persisted.back().find("n1@example.com") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "adding a duplicate or malformed account is refused") {
  start(base_config({make_account("a")}));
  auto dup = command(*this, caf::make_message(atom::add::value,
    std::string{R"({"id":"a","credentials":{"refreshToken":"r"}})"}));
  CHECK_FALSE(dup.first);
  CHECK(dup.second.find("already exists") != std::string::npos);
  auto bad = command(*this, caf::make_message(atom::add::value, std::string{R"({"id":5})"}));
  CHECK_FALSE(bad.first);
}

TEST_CASE_FIXTURE(fixture, "adding the same login twice updates the account in place") {
  start(base_config({make_account("a")}));
  // The same refresh token without an id (an import of the same token file).
  auto again = command(*this, caf::make_message(atom::add::value,
    std::string{R"({"credentials":{"accessToken":"tok-new","refreshToken":"refresh-a","expiresAt":4600000}})"}));
  CHECK(again.first);
  CHECK(again.second == R"({"id":"a","matchedOn":"refresh token","updated":true})");
  CHECK(statuses().size() == 1);
  generate(new_sink());
  CHECK(w->tokens_used == std::vector<std::string>{"tok-new"});
  // A new login of the same user: another refresh token, the same email.
  auto relogin = command(*this, caf::make_message(atom::add::value,
    std::string{R"({"email":"A@example.com","credentials":{"accessToken":"tok-3","refreshToken":"r-3","expiresAt":4600000}})"}));
  CHECK(relogin.second == R"({"id":"a","matchedOn":"email","updated":true})");
  CHECK(statuses().size() == 1);
  // Another user is another account.
  auto other = command(*this, caf::make_message(atom::add::value,
    std::string{R"({"email":"b@example.com","credentials":{"accessToken":"tok-b","refreshToken":"r-b","expiresAt":4600000}})"}));
  CHECK(other.second.find("updated") == std::string::npos);
  CHECK(statuses().size() == 2);
}

TEST_CASE_FIXTURE(fixture, "a refresh-token-only account is refreshed before its first call") {
  auto a = make_account("a");
  a.credentials.access_token.clear();
  a.credentials.expires_at_ms.reset();
  start(base_config({a}));
  generate(new_sink());
  CHECK(w->refresh_calls == 1);
  CHECK(w->tokens_used == std::vector<std::string>{"fresh-1"});
  CHECK(w->sink_log == std::vector<std::string>{"done:a"});
}

TEST_CASE_FIXTURE(fixture, "removing an account lets its in-flight call finish") {
  start(base_config({make_account("a"), make_account("b", 1)}));
  w->calls["a"].push_back({call_result::completed, {}, true});
  generate(new_sink());
  auto [ok, reply] = command(*this, caf::make_message(atom::remove::value, std::string{"a"}));
  CHECK(ok);
  CHECK(statuses().size() == 1);
  release(call_outcome{});
  generate(new_sink());
  CHECK(w->served_by.back() == "b");
}

TEST_CASE_FIXTURE(fixture, "disabling an account takes it out of rotation, enabling brings it back") {
  auto c = base_config({make_account("a"), make_account("b", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  CHECK(command(*this, caf::make_message(atom::update::value, std::string{"a"},
                                         std::string{R"({"enabled":false})"})).first);
  CHECK(state_of("a") == "disabled");
  generate(new_sink());
  CHECK(w->served_by.back() == "b");
  CHECK(command(*this, caf::make_message(atom::update::value, std::string{"a"},
                                         std::string{R"({"enabled":true,"priority":-1})"})).first);
  CHECK(state_of("a") == "active");
  generate(new_sink());
  CHECK(w->served_by.back() == "a");
  auto bad = command(*this, caf::make_message(atom::update::value, std::string{"a"},
                                              std::string{R"({"priority":"high"})"}));
  CHECK_FALSE(bad.first);
}

TEST_CASE_FIXTURE(fixture, "raising workersPerAccount lets more requests run at once") {
  start(base_config({make_account("a")}));
  w->calls["a"] = {{call_result::completed, {}, true}, {call_result::completed, {}, true}};
  generate(new_sink());
  generate(new_sink());
  CHECK(w->served_by.size() == 1);
  CHECK(command(*this, caf::make_message(atom::workers::value, int32_t{2})).first);
  CHECK(w->served_by.size() == 2);
  CHECK(statuses()[0].workers == 2);
  CHECK_FALSE(command(*this, caf::make_message(atom::workers::value, int32_t{0})).first);
}

TEST_CASE_FIXTURE(fixture, "a test request goes through the named account only") {
  start(base_config({make_account("a"), make_account("b")}));
  auto [ok, reply] = command(*this, caf::make_message(atom::test::value, std::string{"b"}));
  CHECK(ok);
  CHECK(reply.find(R"("account":"b")") != std::string::npos);
  CHECK(w->served_by == std::vector<std::string>{"b"});
  CHECK_FALSE(command(*this, caf::make_message(atom::test::value, std::string{"zz"})).first);
}

TEST_CASE_FIXTURE(fixture, "a forced refresh replies with the new expiry") {
  start(base_config({make_account("a")}));
  auto [ok, reply] = command(*this, caf::make_message(atom::refresh::value, std::string{"a"}));
  CHECK(ok);
  CHECK(reply == R"({"expiresAt":4600000})");
  CHECK(w->refresh_calls == 1);
}

TEST_CASE_FIXTURE(fixture, "subscribers receive every account's state at once and on change") {
  start(base_config({make_account("a")}));
  auto log = std::make_shared<std::vector<std::string>>();
  auto sub = sys->spawn([log](caf::event_based_actor*) -> caf::behavior {
    return {[log](caf::put_atom, const account_status& st) {
      log->push_back(st.id + ":" + st.state);
    }};
  });
  caf::anon_send(supervisor, atom::subscribe::value, sub);
  sched->run();
  REQUIRE(log->size() == 1);
  CHECK(log->back() == "a:active");
  w->calls["a"].push_back({call_result::upstream_failed,
                           failure(failure_class::suspended, 403, "locked")});
  generate(new_sink());
  CHECK(log->back() == "a:disabled");
}

TEST_CASE_FIXTURE(fixture, "reload applies the accounts file, and a bad file changes nothing") {
  char dir_template[] = "/tmp/kb-actors-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  auto path = dir + "/kiro-accounts.json";
  auto write = [&](const std::string& text) {
    std::ofstream out{path, std::ios::trunc};
    out << text;
  };
  auto c = base_config({make_account("a"), make_account("b")});
  c.accounts_path = path;
  start(std::move(c));
  write(R"({"version":"1.0.0","accounts":[
    {"id":"b","credentials":{"accessToken":"token-b","refreshToken":"refresh-b","expiresAt":4600000},"priority":3},
    {"id":"c","credentials":{"accessToken":"token-c","refreshToken":"refresh-c","expiresAt":4600000}}]})");
  auto [ok, reply] = command(*this, caf::make_message(atom::reload::value));
  CHECK(ok);
  CHECK(reply == R"({"added":["c"],"removed":["a"],"updated":["b"]})");
  auto now = statuses();
  REQUIRE(now.size() == 2);
  CHECK(now[0].id == "b");
  CHECK(now[0].priority == 3);
  write(R"({"accounts":[{"id":"x","credentials":{"expiresAt":"soon"}}]})");
  auto bad = command(*this, caf::make_message(atom::reload::value));
  CHECK_FALSE(bad.first);
  CHECK(bad.second.find("kiro-accounts.json") != std::string::npos);
  CHECK(statuses().size() == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE_FIXTURE(fixture, "Kiro's model list is asked through an active account") {
  auto c = base_config({make_account("a"), make_account("b")});
  start(std::move(c));
  CHECK(command(*this, caf::make_message(atom::update::value, std::string{"a"},
                                         std::string{R"({"enabled":false})"})).first);
  auto [ok, reply] = command(*this, caf::make_message(caf::get_atom::value, atom::models::value));
  CHECK(ok);
  CHECK(reply == R"(["auto","asked-via-b"])");
}

TEST_CASE_FIXTURE(fixture, "without an active account the model list cannot be asked") {
  start(base_config({}));
  auto [ok, reply] = command(*this, caf::make_message(caf::get_atom::value, atom::models::value));
  CHECK_FALSE(ok);
  CHECK(reply.find("no active account") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "tickets follow the strategy and a finished one is issued again") {
  auto c = ticketed_config({make_account("a"), make_account("b", 1)}, 2);
  c.strategy = pool::strategy::first;
  start(std::move(c));
  // Half of the 4 workers are ticketed, both on the first account; idle
  // tickets do not count as in flight.
  CHECK(tickets->untaken("a") == 2);
  CHECK(tickets->untaken("b") == 0);
  CHECK(in_flight_of("a") == 0);
  auto t = tickets->take();
  REQUIRE(t);
  CHECK(t->account_id == "a");
  CHECK(t->creds.access_token == "token-a");
  CHECK(in_flight_of("a") == 1);
  ticket_done(*t, call_outcome{});
  CHECK(tickets->untaken("a") == 2);
  CHECK(in_flight_of("a") == 0);
  advance(250); // counters reach the status with the tick
  for (auto& s : statuses())
    CHECK(s.requests == (s.id == "a" ? 1 : 0));
}

TEST_CASE_FIXTURE(fixture, "a ticketed call that failed before any output fails over like any request") {
  auto c = ticketed_config({make_account("a"), make_account("b", 1)}, 1);
  c.strategy = pool::strategy::first;
  start(std::move(c));
  auto t = tickets->take();
  REQUIRE(t);
  REQUIRE(t->account_id == "a");
  call_outcome quota;
  quota.result = call_result::upstream_failed;
  quota.failure = failure(failure_class::quota_exhausted, 402, "limit");
  ticket_done(*t, quota, new_sink());
  // The supervisor's own path retried on b (a scripted worker) and the
  // exhausted account keeps no tickets.
  CHECK(w->served_by == std::vector<std::string>{"b"});
  CHECK(w->sink_log == std::vector<std::string>{"done:b"});
  CHECK(state_of("a") == "exhausted");
  CHECK(tickets->untaken("a") == 0);
  CHECK(in_flight_of("a") == 0);
  CHECK(in_flight_of("b") == 0);
}

TEST_CASE_FIXTURE(fixture, "a request on the supervisor's path takes back the tickets nobody took") {
  auto c = ticketed_config({make_account("a")}, 2);
  start(std::move(c));
  REQUIRE(tickets->untaken("a") == 1);
  w->calls["a"].push_back({call_result::completed, {}, true}); // held open
  generate(new_sink());
  // Both workers were free for it: the ticketed one came back first.
  CHECK(w->served_by == std::vector<std::string>{"a"});
  CHECK(tickets->untaken("a") == 0);
  CHECK(in_flight_of("a") == 1);
  release(call_outcome{});
  CHECK(w->sink_log.empty()); // the held call's sink message is the worker's
  CHECK(tickets->untaken("a") == 1);
  CHECK(in_flight_of("a") == 0);
}

TEST_CASE_FIXTURE(fixture, "a refreshed token and a removed account revoke their tickets") {
  auto c = ticketed_config({make_account("a")}, 2);
  start(std::move(c));
  REQUIRE(tickets->untaken("a") == 1);
  caf::scoped_actor self{*sys};
  self->send(supervisor, atom::refresh::value, std::string{"a"});
  sched->run();
  advance(250);
  auto t = tickets->take();
  REQUIRE(t);
  CHECK(t->creds.access_token != "token-a"); // issued again with the new token
  ticket_done(*t, call_outcome{});
  self->send(supervisor, atom::remove::value, std::string{"a"});
  sched->run();
  CHECK(tickets->untaken("a") == 0);
  CHECK_FALSE(tickets->take());
}

TEST_CASE_FIXTURE(fixture, "an opus request skips the FREE account the strategy prefers") {
  w->subscriptions["free"] = "KIRO FREE";
  w->subscriptions["pro"] = "KIRO PRO";
  auto c = base_config({make_account("free", 0), make_account("pro", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  generate_model(new_sink(), "claude-opus-4-7", "claude-opus-4.7");
  generate_model(new_sink(), "claude-sonnet-4-5", "claude-sonnet-4.5");
  CHECK(w->served_by == std::vector<std::string>{"pro", "free"});
  CHECK(w->sink_log == std::vector<std::string>{"done:pro", "done:free"});
}

TEST_CASE_FIXTURE(fixture, "INVALID_MODEL_ID fails over, teaches the pool, and is a 404 once no account serves the model") {
  auto c = base_config({make_account("a", 0), make_account("b", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  upstream_failure invalid{failure_class::bad_request, 400, "INVALID_MODEL_ID",
                           "Invalid model. Please select a different model to continue."};
  w->calls["a"].push_back({call_result::upstream_failed, invalid});
  generate_model(new_sink(), "claude-opus-4-7", "claude-opus-4.7");
  CHECK(w->served_by == std::vector<std::string>{"a", "b"});
  generate_model(new_sink(), "claude-opus-4-7", "claude-opus-4.7");
  CHECK(w->served_by == std::vector<std::string>{"a", "b", "b"});
  w->calls["b"].push_back({call_result::upstream_failed, invalid});
  generate_model(new_sink(), "claude-opus-4-7", "claude-opus-4.7");
  REQUIRE(w->sink_log.size() == 3);
  CHECK(w->sink_log[2].rfind("failed:404:model claude-opus-4-7 (Kiro model claude-opus-4.7) "
                             "is not served by any Kiro account",
                             0) == 0);
  CHECK(w->sink_log[2].find("a: Kiro answered INVALID_MODEL_ID") != std::string::npos);
  generate_model(new_sink(), "claude-sonnet-4-5", "claude-sonnet-4.5");
  CHECK(w->sink_log.back() == "done:a");
}

TEST_CASE_FIXTURE(fixture, "account model lists route requests and give the pool's served models") {
  w->model_lists["a"] = {{"claude-sonnet-4.5", "", 200000, 64000}};
  w->model_lists["b"] = {{"claude-sonnet-4.5", "", 200000, 64000},
                         {"claude-opus-4.7", "Claude Opus 4.7", 1000000, 128000}};
  auto c = base_config({make_account("a", 0), make_account("b", 1)});
  c.strategy = pool::strategy::first;
  start(std::move(c));
  generate_model(new_sink(), "claude-opus-4-7", "claude-opus-4.7");
  CHECK(w->served_by == std::vector<std::string>{"b"});
  auto [ok, text] = command(*this, caf::make_message(caf::get_atom::value, atom::model_list::value));
  CHECK(ok);
  CHECK(text == R"({"models":[{"accounts":2,"id":"claude-sonnet-4.5","maxInputTokens":200000,)"
                R"("maxOutputTokens":64000,"name":""},{"accounts":1,"id":"claude-opus-4.7",)"
                R"("maxInputTokens":1000000,"maxOutputTokens":128000,"name":"Claude Opus 4.7"}]})");
  generate_model(new_sink(), "claude-haiku-4-5", "claude-haiku-4.5");
  REQUIRE(w->sink_log.size() == 2);
  CHECK(w->sink_log[1].rfind("failed:404:model claude-haiku-4-5", 0) == 0);
}
