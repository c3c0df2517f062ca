#include "services/supervisor/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/common/log.hpp"
#include "services/supervisor/account_record.hpp"
#include "services/supervisor/messages.hpp"
#include "shared/upstream/failures.hpp"

namespace kb::sup {

namespace {

struct account_slot {
  size_t record = 0; ///< index into cfg.accounts.accounts
  account::credentials creds;
  std::string email;
  std::vector<caf::actor> workers;
  std::vector<caf::actor> idle;
  bool refreshing = false;
  int32_t refresh_attempt = 0;
  int64_t refresh_due_ms = 0;
  bool usage_polling = false;
  int64_t usage_due_ms = 0;
  int64_t usage_reset_ms = 0;
  std::vector<uint64_t> refresh_waiters;
  int64_t last_used_ms = 0;
  int64_t requests = 0;
  int64_t failures = 0;
  int64_t refreshes = 0;
};

struct pending_request {
  std::shared_ptr<const conversation> conv;
  caf::actor sink;
  std::shared_ptr<std::atomic<bool>> cancelled;
  int64_t deadline_ms = 0;
  int64_t not_before_ms = 0;
  int32_t attempts = 0;
  std::vector<std::string> excluded;
  std::vector<std::string> refreshed;
  std::optional<std::string> pinned; ///< retry this account (after a refresh)
  std::optional<upstream_failure> last_failure;
  bool queued = false;
};

struct supervisor_state {
  static inline const char* name = "account-supervisor";
  supervisor_config cfg;
  std::vector<pool::account_entry> entries;
  std::vector<account_slot> slots; ///< parallel to entries
  std::map<uint64_t, pending_request> pending;
  std::deque<uint64_t> queue;
  std::map<caf::actor_addr, uint64_t> by_sink;
  caf::actor maintainer;
  caf::actor persister;
  uint64_t next_id = 1;
  size_t rr_cursor = 0;
  std::mt19937_64 rng{std::random_device{}()};
  bool persist_dirty = false;
  /// Every actor the supervisor spawned; they exit with it. Shared so the
  /// exit hook does not touch the (already destroyed) state.
  std::shared_ptr<std::vector<caf::actor>> helpers =
    std::make_shared<std::vector<caf::actor>>();
};

using self_ptr = caf::stateful_actor<supervisor_state>*;

int64_t now(self_ptr self) {
  return self->state.cfg.now_ms();
}

std::optional<size_t> index_of(self_ptr self, const std::string& id) {
  auto& entries = self->state.entries;
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].id == id)
      return i;
  return std::nullopt;
}

account_status status_of(self_ptr self, size_t i) {
  auto& e = self->state.entries[i];
  auto& s = self->state.slots[i];
  account_status st;
  st.id = e.id;
  st.email = s.email;
  st.state = std::string{pool::to_string(e.state)};
  st.auth_method = s.creds.method == account::auth_method::idc ? "IdC" : "social";
  st.priority = e.priority;
  st.percent_used = e.percent_used;
  st.usage_reset_ms = s.usage_reset_ms;
  st.available_at_ms = e.available_at_ms;
  st.token_expires_ms = s.creds.expires_at_ms;
  st.last_used_ms = s.last_used_ms;
  st.last_error = e.last_error;
  st.workers = static_cast<int32_t>(s.workers.size());
  st.in_flight = e.in_flight;
  st.requests = s.requests;
  st.failures = s.failures;
  st.refreshes = s.refreshes;
  return st;
}

void report(self_ptr self, size_t i) {
  auto& st = self->state;
  store_status(st.cfg.accounts.accounts[st.slots[i].record],
               pool::to_string(st.entries[i].state), st.entries[i].last_error);
  st.persist_dirty = true;
  if (st.cfg.admin)
    self->send(st.cfg.admin, caf::put_atom::value, status_of(self, i));
}

void persist(self_ptr self) {
  auto& st = self->state;
  st.persist_dirty = false;
  if (st.cfg.accounts_path.empty() || !st.persister)
    return;
  self->send(st.persister, atom::persist::value, st.cfg.accounts_path,
             render_accounts_file(st.cfg.accounts));
}

void finish(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  auto it = st.pending.find(pid);
  if (it == st.pending.end())
    return;
  if (it->second.queued)
    st.queue.erase(std::remove(st.queue.begin(), st.queue.end(), pid),
                   st.queue.end());
  st.by_sink.erase(it->second.sink.address());
  self->demonitor(it->second.sink);
  st.pending.erase(it);
}

void fail_with(self_ptr self, uint64_t pid, api_error err) {
  auto& st = self->state;
  auto it = st.pending.find(pid);
  if (it == st.pending.end())
    return;
  KB_INFO("supervisor", it->second.conv->request_id
                          << ": failed with " << err.status() << ": "
                          << err.message);
  self->send(it->second.sink, atom::failed::value, std::move(err));
  finish(self, pid);
}

void fail_unavailable(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  auto& p = st.pending.at(pid);
  auto u = pool::explain_unavailable(st.entries, now(self));
  api_error err{u.quota ? error_kind::rate_limit : error_kind::overloaded,
                u.message};
  if (p.last_failure) {
    auto upstream = upstream::to_client_error(*p.last_failure);
    err.message += "; last upstream error: " + upstream.message;
    if (p.last_failure->cls == failure_class::quota_exhausted ||
        p.last_failure->cls == failure_class::throttled)
      err.kind = error_kind::rate_limit;
  }
  err.retry_after = static_cast<int>((u.retry_after_ms + 999) / 1000);
  fail_with(self, pid, std::move(err));
}

void on_outcome(self_ptr self, uint64_t pid, const std::string& account_id,
                caf::actor worker, call_outcome& o);

void dispatch_to(self_ptr self, uint64_t pid, size_t i) {
  auto& st = self->state;
  auto& p = st.pending.at(pid);
  auto& e = st.entries[i];
  auto& slot = st.slots[i];
  auto worker = slot.idle.back();
  slot.idle.pop_back();
  e.idle_workers -= 1;
  e.in_flight += 1;
  p.attempts += 1;
  p.pinned.reset();
  slot.last_used_ms = now(self);
  slot.requests += 1;
  dispatch d{p.conv, p.sink, e.id, slot.creds, p.cancelled};
  auto account_id = e.id;
  KB_DEBUG("supervisor", p.conv->request_id << ": dispatched to account "
                                            << account_id << " (attempt "
                                            << p.attempts << ")");
  self->request(worker, caf::infinite, atom::run::value, std::move(d))
    .then(
      [self, pid, account_id, worker](call_outcome& o) {
        on_outcome(self, pid, account_id, worker, o);
      },
      [self, pid, account_id, worker](caf::error& err) {
        call_outcome o;
        o.result = call_result::upstream_failed;
        o.failure = {failure_class::network, 0, "",
                     "worker failed: " + self->system().render(err)};
        on_outcome(self, pid, account_id, worker, o);
      });
}

/// Whether some account could take the request before its queue deadline.
bool could_serve_later(self_ptr self, const pending_request& p) {
  auto& st = self->state;
  for (size_t i = 0; i < st.entries.size(); ++i) {
    auto& e = st.entries[i];
    if (e.state == pool::account_state::disabled || st.slots[i].workers.empty())
      continue;
    if (std::find(p.excluded.begin(), p.excluded.end(), e.id) != p.excluded.end())
      continue;
    if (pool::usable(e, now(self)) || e.available_at_ms <= p.deadline_ms ||
        st.slots[i].refreshing)
      return true;
  }
  return false;
}

bool is_transient(const std::optional<upstream_failure>& f) {
  return f && (f->cls == failure_class::server_error ||
               f->cls == failure_class::network);
}

/// Starts the request on an account if one is free now.
bool try_start(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  auto& p = st.pending.at(pid);
  auto t = now(self);
  if (t < p.not_before_ms)
    return false;
  if (p.pinned) {
    auto i = index_of(self, *p.pinned);
    if (i && st.entries[*i].idle_workers > 0 && pool::usable(st.entries[*i], t)) {
      dispatch_to(self, pid, *i);
      return true;
    }
    if (i && st.entries[*i].state != pool::account_state::disabled)
      return false; // wait for a worker of the account that was refreshed
    p.pinned.reset();
  }
  auto i = pool::pick(st.cfg.strategy, st.entries, t, p.excluded, st.rr_cursor,
                      st.rng());
  if (!i)
    return false;
  dispatch_to(self, pid, *i);
  return true;
}

/// Queues the request, or fails it when nothing could serve it in time.
void start_or_queue(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  if (try_start(self, pid))
    return;
  auto& p = st.pending.at(pid);
  if (!could_serve_later(self, p)) {
    // Every account was tried. Transient upstream errors get another round
    // after a backoff, within the attempt budget.
    if (is_transient(p.last_failure) && p.attempts < st.cfg.max_attempts &&
        !st.entries.empty()) {
      p.excluded.clear();
      p.not_before_ms = now(self) + 200 * (int64_t{1} << std::min(p.attempts, 4));
    } else {
      fail_unavailable(self, pid);
      return;
    }
  }
  if (!p.queued) {
    p.queued = true;
    st.queue.push_back(pid);
  }
}

void drain_queue(self_ptr self) {
  auto& st = self->state;
  auto waiting = st.queue;
  for (auto pid : waiting) {
    auto it = st.pending.find(pid);
    if (it == st.pending.end() || !it->second.queued)
      continue;
    if (try_start(self, pid)) {
      it = st.pending.find(pid);
      if (it != st.pending.end())
        it->second.queued = false;
      st.queue.erase(std::remove(st.queue.begin(), st.queue.end(), pid),
                     st.queue.end());
    }
  }
}

void start_refresh(self_ptr self, size_t i);

void on_outcome(self_ptr self, uint64_t pid, const std::string& account_id,
                caf::actor worker, call_outcome& o) {
  auto& st = self->state;
  auto t = now(self);
  auto i = index_of(self, account_id);
  if (i) {
    st.slots[*i].idle.push_back(worker);
    st.entries[*i].idle_workers += 1;
    st.entries[*i].in_flight -= 1;
  }
  auto it = st.pending.find(pid);
  if (it == st.pending.end() || !i) {
    if (it != st.pending.end() && o.result == call_result::upstream_failed)
      start_or_queue(self, pid);
    else if (it != st.pending.end())
      finish(self, pid);
    drain_queue(self);
    return;
  }
  auto& p = it->second;
  auto& e = st.entries[*i];
  auto& slot = st.slots[*i];
  switch (o.result) {
    case call_result::completed:
      pool::apply_success(e);
      finish(self, pid);
      report(self, *i);
      break;
    case call_result::aborted:
    case call_result::sink_failed:
      finish(self, pid);
      break;
    case call_result::upstream_failed: {
      slot.failures += 1;
      KB_WARN("supervisor", p.conv->request_id << ": account " << account_id
                                               << " failed: " << o.failure.message);
      auto reset = slot.usage_reset_ms > t ? slot.usage_reset_ms
                                           : account::next_month_reset_ms(t);
      bool already = std::find(p.refreshed.begin(), p.refreshed.end(),
                               account_id) != p.refreshed.end();
      auto verdict = pool::apply_failure(e, o.failure, t, reset, already,
                                         st.cfg.auto_switch);
      if (verdict.account_changed)
        report(self, *i);
      if (o.failure.cls == failure_class::quota_exhausted)
        slot.usage_due_ms = t;
      p.last_failure = o.failure;
      switch (verdict.step) {
        case pool::next_step::retry_other:
          p.excluded.push_back(account_id);
          if (p.attempts >= st.cfg.max_attempts)
            fail_unavailable(self, pid);
          else
            start_or_queue(self, pid);
          break;
        case pool::next_step::refresh_then_retry:
          p.refreshed.push_back(account_id);
          p.pinned = account_id;
          slot.refresh_waiters.push_back(pid);
          start_refresh(self, *i);
          break;
        case pool::next_step::retry_same:
          start_or_queue(self, pid);
          break;
        case pool::next_step::fail:
          fail_with(self, pid, upstream::to_client_error(o.failure));
          break;
      }
      break;
    }
  }
  drain_queue(self);
}

void release_refresh_waiters(self_ptr self, size_t i, bool ok,
                             const upstream_failure& failure) {
  auto& st = self->state;
  auto waiters = std::move(st.slots[i].refresh_waiters);
  st.slots[i].refresh_waiters.clear();
  for (auto pid : waiters) {
    auto it = st.pending.find(pid);
    if (it == st.pending.end())
      continue;
    if (!ok) {
      it->second.pinned.reset();
      it->second.excluded.push_back(st.entries[i].id);
      it->second.last_failure = failure;
    }
    start_or_queue(self, pid);
  }
}

void on_refreshed(self_ptr self, const std::string& id, refresh_outcome& o) {
  auto& st = self->state;
  auto i = index_of(self, id);
  if (!i)
    return;
  auto& slot = st.slots[*i];
  auto& e = st.entries[*i];
  auto t = now(self);
  slot.refreshing = false;
  if (o.ok) {
    slot.creds.access_token = o.value.access_token;
    if (!o.value.refresh_token.empty())
      slot.creds.refresh_token = o.value.refresh_token;
    if (!o.value.profile_arn.empty())
      slot.creds.profile_arn = o.value.profile_arn;
    slot.creds.expires_at_ms = o.value.expires_at_ms;
    slot.refresh_attempt = 0;
    slot.refreshes += 1;
    slot.refresh_due_ms =
      t + account::refresh_delay_ms(slot.creds.expires_at_ms, t,
                                    st.cfg.refresh_buffer_seconds);
    if (slot.usage_due_ms == 0)
      slot.usage_due_ms = t;
    if (e.state == pool::account_state::error)
      pool::apply_success(e);
    store_credentials(st.cfg.accounts.accounts[slot.record], slot.creds);
    KB_INFO("supervisor", "account " << id << ": token refreshed, valid for "
                                     << (slot.creds.expires_at_ms - t) / 1000
                                     << " s");
    report(self, *i);
    persist(self); // a rotated refresh token must never be lost
    release_refresh_waiters(self, *i, true, {});
  } else {
    slot.refresh_attempt += 1;
    e.last_error = o.failure.message;
    KB_WARN("supervisor", "account " << id << ": " << o.failure.message);
    if (o.failure.cls == failure_class::refresh_rejected) {
      e.state = pool::account_state::disabled;
      slot.refresh_due_ms = std::numeric_limits<int64_t>::max();
    } else if (slot.refresh_attempt < st.cfg.refresh_retry_attempts) {
      slot.refresh_due_ms =
        t + account::retry_backoff_ms(slot.refresh_attempt, st.rng());
      if (slot.creds.expires_at_ms <= t) {
        e.state = pool::account_state::error;
        e.available_at_ms = slot.refresh_due_ms;
      }
    } else {
      slot.refresh_attempt = 0;
      slot.refresh_due_ms = t + 300000;
      if (slot.creds.expires_at_ms <= t) {
        e.state = pool::account_state::error;
        e.available_at_ms = slot.refresh_due_ms;
      }
    }
    report(self, *i);
    release_refresh_waiters(self, *i, false, o.failure);
  }
  drain_queue(self);
}

void start_refresh(self_ptr self, size_t i) {
  auto& st = self->state;
  auto& slot = st.slots[i];
  if (slot.refreshing)
    return;
  if (slot.creds.refresh_token.empty()) {
    slot.refresh_due_ms = std::numeric_limits<int64_t>::max();
    release_refresh_waiters(self, i, false,
                            {failure_class::refresh_failed, 0, "",
                             "the account has no refresh token"});
    return;
  }
  slot.refreshing = true;
  auto id = st.entries[i].id;
  self->request(st.maintainer, caf::infinite, atom::refresh::value, id, slot.creds)
    .then([self, id](refresh_outcome& o) { on_refreshed(self, id, o); },
          [self, id](caf::error& err) {
            refresh_outcome o;
            o.failure = {failure_class::refresh_failed, 0, "",
                         "token refresh failed: " + self->system().render(err)};
            on_refreshed(self, id, o);
          });
}

void on_usage(self_ptr self, const std::string& id, usage_outcome& o) {
  auto& st = self->state;
  auto i = index_of(self, id);
  if (!i)
    return;
  auto& slot = st.slots[*i];
  auto& e = st.entries[*i];
  auto t = now(self);
  slot.usage_polling = false;
  slot.usage_due_ms = t + st.cfg.usage_poll_ms;
  if (!o.ok) {
    if (o.failure.cls == failure_class::invalid_bearer)
      slot.refresh_due_ms = t;
    KB_DEBUG("supervisor", "account " << id << ": " << o.failure.message);
    return;
  }
  e.percent_used = o.value.percent_used;
  if (o.value.next_reset_ms > 0)
    slot.usage_reset_ms = o.value.next_reset_ms;
  if (o.value.percent_used >= 100 && !o.value.overage_enabled) {
    e.state = pool::account_state::exhausted;
    e.available_at_ms = slot.usage_reset_ms > t ? slot.usage_reset_ms
                                                : account::next_month_reset_ms(t);
  } else if (e.state == pool::account_state::exhausted) {
    e.state = pool::account_state::active;
    e.available_at_ms = 0;
  }
  if (!o.value.email.empty() && slot.email.empty())
    slot.email = o.value.email;
  store_usage(st.cfg.accounts.accounts[slot.record], o.value, t);
  report(self, *i);
  drain_queue(self);
}

void poll_usage(self_ptr self, size_t i) {
  auto& st = self->state;
  auto& slot = st.slots[i];
  slot.usage_polling = true;
  auto id = st.entries[i].id;
  self->request(st.maintainer, caf::infinite, atom::usage::value, id, slot.creds)
    .then([self, id](usage_outcome& o) { on_usage(self, id, o); },
          [self, id](caf::error& err) {
            usage_outcome o;
            o.failure = {failure_class::network, 0, "", self->system().render(err)};
            on_usage(self, id, o);
          });
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  auto t = now(self);
  auto before = st.entries;
  if (pool::expire_timeouts(st.entries, t))
    for (size_t i = 0; i < st.entries.size(); ++i)
      if (st.entries[i].state != before[i].state)
        report(self, i);
  // Queue deadlines.
  auto waiting = st.queue;
  for (auto pid : waiting) {
    auto& p = st.pending.at(pid);
    if (p.deadline_ms <= t) {
      auto busy = std::to_string(st.entries.size());
      fail_with(self, pid,
                api_error{error_kind::overloaded,
                          "every worker of the " + busy +
                            " Kiro account(s) stayed busy for " +
                            std::to_string(st.cfg.queue_timeout_ms / 1000) +
                            " s; retry later or raise workersPerAccount"});
    }
  }
  drain_queue(self);
  for (size_t i = 0; i < st.slots.size(); ++i) {
    auto& slot = st.slots[i];
    if (st.entries[i].state == pool::account_state::disabled)
      continue;
    if (!slot.refreshing && slot.refresh_due_ms <= t)
      start_refresh(self, i);
    else if (!slot.refreshing && !slot.usage_polling && slot.usage_due_ms <= t &&
             slot.creds.expires_at_ms > t)
      poll_usage(self, i);
  }
  if (st.persist_dirty)
    persist(self);
}

void add_account(self_ptr self, size_t record) {
  auto& st = self->state;
  auto& rec = st.cfg.accounts.accounts[record];
  pool::account_entry e;
  account_slot slot;
  slot.record = record;
  slot.creds = credentials_of(rec);
  slot.email = email_of(rec);
  e.id = id_of(rec);
  e.priority = priority_of(rec);
  e.order = st.entries.size();
  e.percent_used = percent_used_of(rec);
  auto t = now(self);
  if (!enabled(rec)) {
    e.state = pool::account_state::disabled;
  } else {
    auto wc = st.cfg.worker;
    wc.account_id = e.id;
    wc.machine_id = account::machine_id(e.id);
    for (int32_t k = 0; k < st.cfg.workers_per_account; ++k) {
      auto w = st.cfg.make_worker(self->system(), wc);
      st.helpers->push_back(w);
      slot.workers.push_back(w);
      slot.idle.push_back(w);
    }
    e.idle_workers = static_cast<int32_t>(slot.idle.size());
  }
  slot.refresh_due_ms =
    slot.creds.access_token.empty()
      ? t
      : t + account::refresh_delay_ms(slot.creds.expires_at_ms, t,
                                      st.cfg.refresh_buffer_seconds);
  slot.usage_due_ms = t;
  st.entries.push_back(std::move(e));
  st.slots.push_back(std::move(slot));
}

caf::behavior supervisor_behavior(self_ptr self, supervisor_config cfg) {
  auto& st = self->state;
  if (!cfg.now_ms)
    cfg.now_ms = [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
        .count();
    };
  if (!cfg.make_worker)
    cfg.make_worker = [](caf::actor_system& sys, const worker_config& wc) {
      return spawn_worker(sys, wc);
    };
  auto maintainer_cfg = cfg.maintainer;
  if (!cfg.make_maintainer)
    cfg.make_maintainer = [maintainer_cfg](caf::actor_system& sys) {
      return spawn_maintainer(sys, maintainer_cfg);
    };
  if (!cfg.make_persister)
    cfg.make_persister = [](caf::actor_system& sys) {
      return spawn_persister(sys);
    };
  st.cfg = std::move(cfg);
  st.maintainer = st.cfg.make_maintainer(self->system());
  st.persister = st.cfg.make_persister(self->system());
  st.helpers->push_back(st.maintainer);
  st.helpers->push_back(st.persister);
  for (size_t r = 0; r < st.cfg.accounts.accounts.size(); ++r)
    add_account(self, r);
  for (size_t i = 0; i < st.entries.size(); ++i)
    report(self, i);
  st.persist_dirty = false;
  KB_INFO("supervisor", st.entries.size() << " account(s), "
                                          << st.cfg.workers_per_account
                                          << " worker(s) each");
  // Helpers die with the supervisor (they are not linked: a crashing worker
  // must not take the supervisor down).
  self->attach_functor([helpers = st.helpers](const caf::error&) {
    for (auto& h : *helpers)
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  });
  self->set_down_handler([self](caf::down_msg& m) {
    auto& st = self->state;
    auto it = st.by_sink.find(m.source);
    if (it == st.by_sink.end())
      return;
    auto pid = it->second;
    auto p = st.pending.find(pid);
    if (p != st.pending.end()) {
      p->second.cancelled->store(true);
      KB_DEBUG("supervisor", p->second.conv->request_id
                               << ": client went away, cancelling");
    }
    finish(self, pid);
  });
  self->send(self, atom::tick::value);
  return {
    [self](atom::generate, conversation& conv, caf::actor& sink) {
      auto& st = self->state;
      auto pid = st.next_id++;
      pending_request p;
      p.conv = std::make_shared<const conversation>(std::move(conv));
      p.sink = sink;
      p.cancelled = std::make_shared<std::atomic<bool>>(false);
      p.deadline_ms = now(self) + st.cfg.queue_timeout_ms;
      st.by_sink.emplace(sink.address(), pid);
      self->monitor(sink);
      st.pending.emplace(pid, std::move(p));
      if (st.entries.empty()) {
        fail_unavailable(self, pid);
        return;
      }
      start_or_queue(self, pid);
    },
    [self](atom::tick) {
      on_tick(self);
      self->delayed_send(self, std::chrono::milliseconds(self->state.cfg.tick_ms),
                         atom::tick::value);
    },
    [self](caf::get_atom, atom::accounts) {
      std::vector<account_status> out;
      for (size_t i = 0; i < self->state.entries.size(); ++i)
        out.push_back(status_of(self, i));
      return out;
    },
  };
}

} // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_config cfg) {
  return sys.spawn(supervisor_behavior, std::move(cfg));
}

} // namespace kb::sup
