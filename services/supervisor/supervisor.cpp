#include "services/supervisor/supervisor.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/common/ids.hpp"
#include "shared/common/civil_time.hpp"
#include "services/common/log.hpp"
#include "services/supervisor/account_record.hpp"
#include "services/supervisor/messages.hpp"
#include "shared/upstream/failures.hpp"

namespace kb::sup {

namespace {

struct account_slot {
  account::credentials creds;
  std::string email;
  std::vector<caf::actor> workers;
  std::vector<caf::actor> idle;
  /// Each worker's upstream line (null for workers without one).
  std::map<caf::actor_addr, std::shared_ptr<upstream_line>> lines;
  bool refreshing = false;
  int32_t refresh_attempt = 0;
  int64_t refresh_due_ms = 0;
  bool usage_polling = false;
  int64_t usage_due_ms = 0;
  int64_t usage_reset_ms = 0;
  /// The account's ListAvailableModels answer (with token limits).
  std::vector<account::kiro_model> models;
  bool models_polling = false;
  int64_t models_due_ms = 0;
  std::vector<uint64_t> refresh_waiters;
  bool fetching_profile = false;
  std::vector<uint64_t> profile_waiters; ///< requests waiting for ListAvailableProfiles
  /// Admin `(refresh, id)` callers waiting for the outcome.
  std::vector<caf::response_promise> refresh_promises;
  int64_t last_used_ms = 0;
  bool counters_unreported = false; ///< requests/last use changed since the last report
  int64_t requests = 0;
  int64_t failures = 0;
  int64_t refreshes = 0;
  bool warned_buffer = false; ///< warned that bufferSeconds ≥ the token's lifetime
};

struct pending_request {
  std::shared_ptr<const conversation> conv;
  caf::actor sink;
  std::shared_ptr<call_cancel> cancel;
  int64_t deadline_ms = 0;
  int64_t not_before_ms = 0;
  int32_t attempts = 0;
  std::vector<std::string> excluded;
  std::vector<std::string> refreshed;
  std::vector<std::string> profiled; ///< accounts whose profile this request fetched
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
  /// The requests of each sink. A gateway reuses a sink for its next request
  /// once the last one got its final message, possibly before the worker's
  /// outcome arrived here: one monitor per sink, not per request.
  std::map<caf::actor_addr, std::vector<uint64_t>> by_sink;
  caf::actor maintainer;
  caf::actor persister;
  std::vector<caf::actor> subscribers; ///< receive (put, account_status)
  /// Workers to stop when their current call returns (account removed or
  /// workersPerAccount lowered).
  std::set<caf::actor_addr> retiring;
  /// Tickets out in cfg.tickets (taken or not): their account and worker.
  std::map<uint64_t, std::pair<std::string, caf::actor>> issued;
  uint64_t next_ticket = 1;
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

/// When the account's token is next due for a refresh: at once without an
/// access token, else a buffer before it expires.
int64_t refresh_due_ms(const account::credentials& c, int64_t now_ms,
                       int64_t buffer_seconds) {
  if (c.access_token.empty())
    return now_ms;
  return now_ms + account::refresh_delay_ms(c.expires_at_ms, now_ms, buffer_seconds);
}

config::account& record_of(self_ptr self, size_t i) {
  return *self->state.cfg.accounts.find(self->state.entries[i].id);
}

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

/// Tickets of the account nobody took yet: idle workers, although counted
/// as in flight.
int32_t untaken_tickets(self_ptr self, const std::string& account_id) {
  auto& tickets = self->state.cfg.tickets;
  return tickets ? static_cast<int32_t>(tickets->untaken(account_id)) : 0;
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
  st.in_flight = e.in_flight - untaken_tickets(self, e.id);
  st.requests = s.requests;
  st.failures = s.failures;
  st.refreshes = s.refreshes;
  return st;
}

void revoke_tickets(self_ptr self, const std::function<bool(const std::string&)>& of_account);

/// Tells the admin (and the accounts file) account i's state. An account
/// that cannot serve now keeps no tickets.
void report(self_ptr self, size_t i) {
  auto& st = self->state;
  if (!pool::usable(st.entries[i], now(self))) {
    auto id = st.entries[i].id;
    revoke_tickets(self, [&](const std::string& of) { return of == id; });
  }
  st.slots[i].counters_unreported = false;
  if (store_status(record_of(self, i), pool::to_string(st.entries[i].state),
                   st.entries[i].last_error))
    st.persist_dirty = true;
  auto status = status_of(self, i);
  for (auto& sub : st.subscribers)
    self->send(sub, caf::put_atom::value, status);
}

/// Saves the accounts file (in order, on the persister's thread) and runs
/// `then` once it is on disk: fsynced and renamed into place, or failed
/// (the persister logs why; the next save retries).
void persist_then(self_ptr self, std::function<void()> then) {
  auto& st = self->state;
  st.persist_dirty = false;
  if (st.cfg.accounts_path.empty() || !st.persister) {
    then();
    return;
  }
  // No timeout: a pending one would hold up the actor system's exit.
  self->request(st.persister, caf::infinite, atom::persist::value, st.cfg.accounts_path,
                render_accounts_file(st.cfg.accounts))
    .then([then](bool) { then(); }, [then](caf::error&) { then(); });
}

void persist(self_ptr self) {
  persist_then(self, [] {});
}

void finish(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  auto it = st.pending.find(pid);
  if (it == st.pending.end())
    return;
  if (it->second.queued)
    st.queue.erase(std::remove(st.queue.begin(), st.queue.end(), pid),
                   st.queue.end());
  auto sink = st.by_sink.find(it->second.sink.address());
  if (sink != st.by_sink.end()) {
    auto& pids = sink->second;
    pids.erase(std::remove(pids.begin(), pids.end(), pid), pids.end());
    if (pids.empty()) {
      st.by_sink.erase(sink);
      self->demonitor(it->second.sink);
    }
  }
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
  self->send(it->second.sink, atom::failed::value, it->second.conv->request_id,
             std::move(err));
  finish(self, pid);
}

void fail_unavailable(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  auto& p = st.pending.at(pid);
  auto u = pool::explain_unavailable(st.entries, now(self));
  api_error err{u.quota ? error_kind::rate_limit : error_kind::overloaded,
                u.message};
  if (p.last_failure) {
    err.from_upstream = true;
    auto upstream = upstream::to_client_error(*p.last_failure);
    err.message += "; last upstream error: " + upstream.message;
    if (p.last_failure->cls == failure_class::quota_exhausted ||
        p.last_failure->cls == failure_class::throttled)
      err.kind = error_kind::rate_limit;
  }
  err.retry_after = static_cast<int>((u.retry_after_ms + 999) / 1000);
  // No account, or every one disabled: no wait will fix it, so a 503 that
  // clients do not retry (a 529 kept `claude -p` retrying for minutes).
  bool none_will_recover =
    std::all_of(st.entries.begin(), st.entries.end(), [](auto& e) {
      return e.state == pool::account_state::disabled;
    });
  if (none_will_recover) {
    err.kind = error_kind::unavailable;
    err.retry_after = 0;
    err.message += st.entries.empty()
                     ? " (`kiroctl accounts import` reads the Kiro IDE's "
                       "~/.aws/sso/cache/kiro-auth-token.json)"
                     : "; enable or re-import an account (`kiroctl accounts list` "
                       "or the web UI's Accounts page shows why each is disabled)";
  }
  fail_with(self, pid, std::move(err));
}

void on_outcome(self_ptr self, uint64_t pid, const std::string& account_id,
                caf::actor worker, call_outcome& o);

/// Counts a call made on account i (reported with the next tick).
void count_call(self_ptr self, size_t i) {
  auto& slot = self->state.slots[i];
  slot.last_used_ms = now(self);
  slot.requests += 1;
  slot.counters_unreported = true;
}

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
  count_call(self, i);
  dispatch d{p.conv, p.sink, e.id, slot.creds, p.cancel};
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
    if (!pool::lacks_model(e.access, p.conv->upstream_model).empty())
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

void start_refresh(self_ptr self, size_t i);

/// Starts the request on an account if one is free now.
bool try_start(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  auto& p = st.pending.at(pid);
  auto t = now(self);
  if (t < p.not_before_ms)
    return false;
  // A request on this path sees every idle worker: tickets nobody took
  // come back (they are issued again when calls end or at the next tick).
  revoke_tickets(self, [](const std::string&) { return true; });
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
                      st.rng(), p.conv->upstream_model);
  if (!i)
    return false;
  if (st.slots[*i].creds.access_token.empty() && !st.slots[*i].creds.refresh_token.empty()) {
    // A refresh-token-only account (an import, a hand-written file): its
    // first call would be a sure 403, so it is refreshed first and the
    // request waits for that, as after a 403.
    p.pinned = st.entries[*i].id;
    p.refreshed.push_back(st.entries[*i].id);
    st.slots[*i].refresh_waiters.push_back(pid);
    start_refresh(self, *i);
    return true;
  }
  dispatch_to(self, pid, *i);
  return true;
}

/// Queues the request, or fails it when nothing could serve it in time.
void start_or_queue(self_ptr self, uint64_t pid) {
  auto& st = self->state;
  {
    auto& conv = *st.pending.at(pid).conv;
    if (auto why = pool::model_unavailable(st.entries, conv.model, conv.upstream_model)) {
      fail_with(self, pid, api_error{error_kind::not_found, *why});
      return;
    }
  }
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
  if (st.queue.empty())
    return;
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

/// A worker of account i (if it is still managed) is free again.
void release_worker(self_ptr self, std::optional<size_t> i, const caf::actor& worker) {
  auto& st = self->state;
  if (st.retiring.erase(worker.address()) > 0) {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    if (i)
      st.entries[*i].in_flight -= 1;
  } else if (i) {
    st.slots[*i].idle.push_back(worker);
    st.entries[*i].idle_workers += 1;
    st.entries[*i].in_flight -= 1;
    st.slots[*i].counters_unreported = true;
  } else {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  }
}

/// Takes back the untaken tickets of the accounts `of_account` selects.
void revoke_tickets(self_ptr self, const std::function<bool(const std::string&)>& of_account) {
  auto& st = self->state;
  if (!st.cfg.tickets || st.issued.empty())
    return;
  auto ids = st.cfg.tickets->revoke([&](const ticket& t) { return of_account(t.account_id); });
  for (auto id : ids) {
    auto it = st.issued.find(id);
    if (it == st.issued.end())
      continue;
    release_worker(self, index_of(self, it->second.first), it->second.second);
    st.issued.erase(it);
  }
}

/// Keeps up to half of all workers ticketed for the in-process gateway,
/// placed by the strategy like any request, while no request is queued.
void issue_tickets(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.tickets || !st.queue.empty())
    return;
  size_t workers = 0;
  for (auto& slot : st.slots)
    workers += slot.workers.size();
  auto t = now(self);
  while (st.issued.size() < workers / 2) {
    auto i = pool::pick(st.cfg.strategy, st.entries, t, {}, st.rr_cursor, st.rng());
    if (!i)
      return;
    auto& e = st.entries[*i];
    auto& slot = st.slots[*i];
    if (slot.creds.access_token.empty())
      return; // its first refresh comes first (try_start waits for it)
    auto line = slot.lines.find(slot.idle.back().address());
    if (line == slot.lines.end() || !line->second)
      return; // workers without a line (tests' scripted ones) take no tickets
    auto worker = slot.idle.back();
    slot.idle.pop_back();
    e.idle_workers -= 1;
    e.in_flight += 1;
    auto id = st.next_ticket++;
    st.issued.emplace(id, std::make_pair(e.id, worker));
    st.cfg.tickets->add(ticket{id, e.id, slot.creds, line->second, e.access});
  }
}

/// An HTTP thread made the call of ticket `id`. A call that failed before
/// any output comes with its dispatch: it continues here like a request
/// whose first attempt failed.
void on_ticket_done(self_ptr self, uint64_t id, call_outcome& o, dispatch* d);

void fetch_profile(self_ptr self, size_t i);

/// Kiro refused the account itself (an unrecognised 401/403, or a
/// profileArn it cannot have): fail over and park it in `error` with
/// Kiro's (redacted) message; the pool tries it again once the delay is
/// over (the retest): 30 s, doubling with each refusal in a row, at most
/// 30 min.
pool::failure_verdict deny_account(pool::account_entry& e, const upstream_failure& f,
                                   int64_t now_ms, bool auto_switch) {
  e.state = pool::account_state::error;
  e.consecutive_errors += 1;
  int shift = std::clamp(e.consecutive_errors - 1, 0, 6);
  e.available_at_ms = now_ms + std::min<int64_t>(int64_t{30'000} << shift, 1'800'000);
  e.last_error = "Kiro refused the account (HTTP " + std::to_string(f.http_status) + "): " +
                 f.message;
  return {auto_switch ? pool::next_step::retry_other : pool::next_step::fail, true};
}

bool listed(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

void on_outcome(self_ptr self, uint64_t pid, const std::string& account_id,
                caf::actor worker, call_outcome& o) {
  auto& st = self->state;
  auto t = now(self);
  auto i = index_of(self, account_id);
  release_worker(self, i, worker);
  if (i && o.result == call_result::completed) {
    auto& e = st.entries[*i];
    auto before = e.state;
    pool::apply_success(e);
    // State changes are reported at once; counters with the next tick.
    if (e.state != before)
      report(self, *i);
  }
  auto it = st.pending.find(pid);
  if (it == st.pending.end() || !i) {
    if (it != st.pending.end() && o.result == call_result::upstream_failed)
      start_or_queue(self, pid);
    else if (it != st.pending.end())
      finish(self, pid);
    drain_queue(self);
    issue_tickets(self);
    return;
  }
  auto& p = it->second;
  auto& e = st.entries[*i];
  auto& slot = st.slots[*i];
  switch (o.result) {
    case call_result::completed:
    case call_result::aborted:
    case call_result::sink_failed:
      finish(self, pid);
      break;
    case call_result::upstream_failed: {
      slot.failures += 1;
      KB_WARN("supervisor", p.conv->request_id << ": account " << account_id
                                               << " failed: " << o.failure.message);
      if (pool::learn_invalid_model(e.access, o.failure, p.conv->upstream_model)) {
        // The account lacks the model, not the request: fail over (a 404
        // in start_or_queue once no account serves it).
        revoke_tickets(self, [&](const std::string& of) { return of == account_id; });
        p.last_failure = o.failure;
        p.excluded.push_back(account_id);
        if (p.attempts >= st.cfg.max_attempts)
          fail_unavailable(self, pid);
        else
          start_or_queue(self, pid);
        break;
      }
      auto reset = slot.usage_reset_ms > t ? slot.usage_reset_ms
                                           : next_month_start_ms(t);
      bool already = listed(p.refreshed, account_id);
      p.last_failure = o.failure;
      if (upstream::is_profile_arn_required(o.failure) && !listed(p.profiled, account_id)) {
        // An enterprise account without its ARN: ask Kiro for it, retry.
        p.profiled.push_back(account_id);
        p.pinned = account_id;
        slot.profile_waiters.push_back(pid);
        fetch_profile(self, *i);
        break;
      }
      auto verdict = upstream::is_account_denial(o.failure) ||
                         upstream::is_profile_arn_required(o.failure)
                       ? deny_account(e, o.failure, t, st.cfg.auto_switch)
                       : pool::apply_failure(e, o.failure, t, reset, already,
                                             st.cfg.auto_switch);
      if (verdict.account_changed && e.state == pool::account_state::error)
        KB_WARN("supervisor", "account " << account_id << ": " << e.last_error);
      if (verdict.account_changed)
        report(self, *i);
      if (o.failure.cls == failure_class::quota_exhausted)
        slot.usage_due_ms = t;
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
        case pool::next_step::fail: {
          auto err = upstream::to_client_error(o.failure);
          err.from_upstream = true;
          fail_with(self, pid, std::move(err));
          break;
        }
      }
      break;
    }
  }
  drain_queue(self);
  issue_tickets(self);
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

/// The soonest the next scheduled refresh may come after one that just
/// succeeded: a minute, or half the token's life when it is shorter. With
/// tokenRefresh.bufferSeconds at or above the token's lifetime every refresh
/// was due at once, 40 refreshes and saves in 10 s for one account, forever.
int64_t min_refresh_interval_ms(int64_t expires_at_ms, int64_t now_ms) {
  constexpr int64_t one_minute_ms = 60'000;
  return std::clamp<int64_t>((expires_at_ms - now_ms) / 2, 0, one_minute_ms);
}

/// Puts refreshed credentials to use, once the accounts file holds them.
void use_refreshed(self_ptr self, const std::string& id, const account::credentials& next) {
  auto& st = self->state;
  auto i = index_of(self, id);
  if (!i)
    return;
  auto& slot = st.slots[*i];
  auto& e = st.entries[*i];
  auto t = now(self);
  slot.refreshing = false;
  revoke_tickets(self, [&](const std::string& of) { return of == id; }); // old token
  slot.creds = next;
  slot.refresh_attempt = 0;
  slot.refreshes += 1;
  auto lifetime_s = (slot.creds.expires_at_ms - t) / 1000;
  slot.refresh_due_ms =
    std::max(refresh_due_ms(slot.creds, t, st.cfg.refresh_buffer_seconds),
             t + min_refresh_interval_ms(slot.creds.expires_at_ms, t));
  if (st.cfg.refresh_buffer_seconds >= lifetime_s && !slot.warned_buffer) {
    slot.warned_buffer = true;
    KB_WARN("supervisor", "account " << id << ": tokenRefresh.bufferSeconds ("
                                     << st.cfg.refresh_buffer_seconds
                                     << " s) is not shorter than the token's lifetime ("
                                     << lifetime_s
                                     << " s): refreshing at most once a minute; lower it");
  }
  if (slot.usage_due_ms == 0)
    slot.usage_due_ms = t;
  if (e.state == pool::account_state::error)
    pool::apply_success(e);
  KB_INFO("supervisor", "account " << id << ": token refreshed, valid for " << lifetime_s
                                   << " s");
  report(self, *i);
  for (auto& rp : slot.refresh_promises)
    rp.deliver(true, nlohmann::json{{"expiresAt", slot.creds.expires_at_ms}}.dump());
  slot.refresh_promises.clear();
  release_refresh_waiters(self, *i, true, {});
  drain_queue(self);
}

void on_refreshed(self_ptr self, const std::string& id, refresh_outcome& o) {
  auto& st = self->state;
  auto i = index_of(self, id);
  if (!i)
    return;
  auto& slot = st.slots[*i];
  auto& e = st.entries[*i];
  auto t = now(self);
  if (o.ok) {
    // The file gets the new tokens first; only then are they used or the
    // refresh acknowledged (slot.refreshing holds new refreshes off until
    // then). An identity provider that rotates refresh tokens invalidates
    // the old one: a crash between a call with the new access token and the
    // save left the file with a dead refresh token (issue 18.4).
    auto next = slot.creds;
    next.access_token = o.value.access_token;
    if (!o.value.refresh_token.empty())
      next.refresh_token = o.value.refresh_token;
    if (!o.value.profile_arn.empty())
      next.profile_arn = o.value.profile_arn;
    next.expires_at_ms = o.value.expires_at_ms;
    store_credentials(record_of(self, *i), next);
    persist_then(self, [self, id, next] { use_refreshed(self, id, next); });
  } else {
    slot.refreshing = false;
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
    for (auto& rp : slot.refresh_promises)
      rp.deliver(false, o.failure.message);
    slot.refresh_promises.clear();
    release_refresh_waiters(self, *i, false, o.failure);
  }
  drain_queue(self);
}

/// ListAvailableProfiles answered (`ok`: `text` is the ARN, else why not):
/// waiting requests retry with the ARN, or fail over from the account.
void on_profile(self_ptr self, const std::string& id, bool ok, const std::string& text) {
  auto& st = self->state;
  auto i = index_of(self, id);
  if (!i)
    return;
  auto& slot = st.slots[*i];
  auto& e = st.entries[*i];
  slot.fetching_profile = false;
  upstream_failure failure{failure_class::bad_request, 400, "",
                           "profileArn is required for this request. ListAvailableProfiles: " +
                             text};
  if (ok) {
    revoke_tickets(self, [&](const std::string& of) { return of == id; }); // creds without it
    slot.creds.profile_arn = text;
    store_credentials(record_of(self, *i), slot.creds);
    KB_INFO("supervisor", "account " << id << ": profile ARN fetched from ListAvailableProfiles");
    persist(self);
  } else {
    KB_WARN("supervisor", "account " << id << ": no profile ARN: " << text);
    deny_account(e, failure, now(self), true);
    report(self, *i);
  }
  auto waiters = std::move(slot.profile_waiters);
  slot.profile_waiters.clear();
  for (auto pid : waiters) {
    auto it = st.pending.find(pid);
    if (it == st.pending.end())
      continue;
    if (!ok) {
      it->second.pinned.reset();
      it->second.excluded.push_back(id);
      it->second.last_failure = failure;
    }
    start_or_queue(self, pid);
  }
  drain_queue(self);
}

void fetch_profile(self_ptr self, size_t i) {
  auto& st = self->state;
  auto& slot = st.slots[i];
  if (slot.fetching_profile)
    return;
  slot.fetching_profile = true;
  auto id = st.entries[i].id;
  self->request(st.maintainer, caf::infinite, atom::profiles::value, id, slot.creds)
    .then([self, id](bool ok, std::string& text) { on_profile(self, id, ok, text); },
          [self, id](caf::error& err) { on_profile(self, id, false, self->system().render(err)); });
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
                                                : next_month_start_ms(t);
  } else if (e.state == pool::account_state::exhausted &&
             (o.value.overage_enabled || t >= e.available_at_ms)) {
    // A 402 outranks a usage report that still shows room (it lags): the
    // account waits for its reset date, unless overage now pays for more.
    // Trusting the report made every next request try it, fail, fail over.
    e.state = pool::account_state::active;
    e.available_at_ms = 0;
  }
  if (!o.value.email.empty() && slot.email.empty())
    slot.email = o.value.email;
  if (!o.value.subscription_title.empty() &&
      o.value.subscription_title != e.access.subscription_title) {
    e.access.subscription_title = o.value.subscription_title;
    revoke_tickets(self, [&](const std::string& of) { return of == id; });
  }
  store_usage(record_of(self, *i), o.value, t);
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

/// How often an account's model list is read again (jwadow kiro-gateway
/// caches ListAvailableModels for an hour).
constexpr int64_t models_poll_ms = 3'600'000;
constexpr int64_t models_retry_ms = 60'000;

void on_models(self_ptr self, const std::string& id, models_outcome& o) {
  auto& st = self->state;
  auto i = index_of(self, id);
  if (!i)
    return;
  auto& slot = st.slots[*i];
  auto t = now(self);
  slot.models_polling = false;
  if (!o.ok) {
    slot.models_due_ms = t + models_retry_ms;
    if (o.failure.cls == failure_class::invalid_bearer)
      slot.refresh_due_ms = t;
    KB_DEBUG("supervisor", "account " << id << ": " << o.failure.message);
    return;
  }
  slot.models_due_ms = t + models_poll_ms;
  slot.models = std::move(o.models);
  std::vector<std::string> ids;
  for (auto& m : slot.models)
    ids.push_back(m.id);
  pool::set_models(st.entries[*i].access, std::move(ids));
  revoke_tickets(self, [&](const std::string& of) { return of == id; });
  drain_queue(self);
}

void poll_models(self_ptr self, size_t i) {
  auto& st = self->state;
  st.slots[i].models_polling = true;
  auto id = st.entries[i].id;
  self->request(st.maintainer, caf::infinite, atom::model_list::value, id, st.slots[i].creds)
    .then([self, id](models_outcome& o) { on_models(self, id, o); },
          [self, id](caf::error& err) {
            models_outcome o;
            o.failure = {failure_class::network, 0, "", self->system().render(err)};
            on_models(self, id, o);
          });
}

/// The models the pool's enabled accounts serve, for the gateway:
/// `{"models":[{"id","name","maxInputTokens","maxOutputTokens","accounts"}]}`
/// (the largest limits any account reports).
std::string served_models_json(self_ptr self) {
  auto& st = self->state;
  std::vector<account::kiro_model> merged;
  std::vector<int> counts;
  for (size_t i = 0; i < st.entries.size(); ++i) {
    if (st.entries[i].state == pool::account_state::disabled)
      continue;
    for (auto& m : st.slots[i].models) {
      if (!pool::lacks_model(st.entries[i].access, m.id).empty())
        continue;
      auto it = std::find_if(merged.begin(), merged.end(),
                             [&](auto& x) { return x.id == m.id; });
      if (it == merged.end()) {
        merged.push_back(m);
        counts.push_back(1);
        continue;
      }
      it->max_input_tokens = std::max(it->max_input_tokens, m.max_input_tokens);
      it->max_output_tokens = std::max(it->max_output_tokens, m.max_output_tokens);
      if (it->name.empty())
        it->name = m.name;
      counts[static_cast<size_t>(it - merged.begin())] += 1;
    }
  }
  auto models = nlohmann::json::array();
  for (size_t k = 0; k < merged.size(); ++k)
    models.push_back({{"id", merged[k].id},
                      {"name", merged[k].name},
                      {"maxInputTokens", merged[k].max_input_tokens},
                      {"maxOutputTokens", merged[k].max_output_tokens},
                      {"accounts", counts[k]}});
  return nlohmann::json{{"models", std::move(models)}}.dump();
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  auto t = now(self);
  std::vector<pool::account_state> before;
  for (auto& e : st.entries)
    before.push_back(e.state);
  pool::expire_timeouts(st.entries, t);
  for (size_t i = 0; i < st.entries.size(); ++i) {
    if (st.entries[i].state != before[i] || st.slots[i].counters_unreported) {
      st.slots[i].counters_unreported = false;
      report(self, i);
    }
  }
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
  issue_tickets(self);
  for (size_t i = 0; i < st.slots.size(); ++i) {
    auto& slot = st.slots[i];
    if (st.entries[i].state == pool::account_state::disabled)
      continue;
    if (!slot.refreshing && slot.refresh_due_ms <= t)
      start_refresh(self, i);
    else if (!slot.refreshing && !slot.usage_polling && slot.usage_due_ms <= t &&
             slot.creds.expires_at_ms > t)
      poll_usage(self, i);
    if (!slot.refreshing && !slot.models_polling && slot.models_due_ms <= t &&
        slot.creds.expires_at_ms > t)
      poll_models(self, i);
  }
  if (st.persist_dirty)
    persist(self);
}

caf::actor spawn_account_worker(self_ptr self, size_t i) {
  auto& st = self->state;
  auto wc = st.cfg.worker;
  wc.account_id = st.entries[i].id;
  wc.machine_id = account::machine_id(wc.account_id);
  auto w = st.cfg.make_worker(self->system(), wc);
  st.helpers->push_back(w.actor);
  st.slots[i].lines.emplace(w.actor.address(), std::move(w.line));
  return w.actor;
}

/// Grows or shrinks account i's workers to workersPerAccount (0 when
/// disabled). Busy workers over the target stop when their call returns.
void resize_workers(self_ptr self, size_t i) {
  auto& st = self->state;
  revoke_tickets(self, [&](const std::string& id) { return id == st.entries[i].id; });
  auto& slot = st.slots[i];
  auto& e = st.entries[i];
  size_t target = record_of(self, i).enabled
                    ? static_cast<size_t>(std::max(0, st.cfg.workers_per_account))
                    : 0;
  while (slot.workers.size() < target) {
    auto w = spawn_account_worker(self, i);
    slot.workers.push_back(w);
    slot.idle.push_back(w);
  }
  while (slot.workers.size() > target) {
    auto victim = slot.workers.back();
    slot.workers.pop_back();
    slot.lines.erase(victim.address());
    auto idle = std::find(slot.idle.begin(), slot.idle.end(), victim);
    if (idle != slot.idle.end()) {
      slot.idle.erase(idle);
      caf::anon_send_exit(victim, caf::exit_reason::user_shutdown);
    } else {
      st.retiring.insert(victim.address());
    }
  }
  e.idle_workers = static_cast<int32_t>(slot.idle.size());
}

/// Starts managing the account with this id (its record must exist).
void add_account(self_ptr self, const config::account& rec) {
  auto& st = self->state;
  pool::account_entry e;
  account_slot slot;
  slot.creds = credentials_of(rec);
  slot.email = email_of(rec);
  e.id = id_of(rec);
  e.priority = priority_of(rec);
  e.order = st.entries.empty() ? 0 : st.entries.back().order + 1;
  e.percent_used = percent_used_of(rec);
  if (!enabled(rec))
    e.state = pool::account_state::disabled;
  auto t = now(self);
  slot.refresh_due_ms = refresh_due_ms(slot.creds, t, st.cfg.refresh_buffer_seconds);
  slot.usage_due_ms = t;
  st.entries.push_back(std::move(e));
  st.slots.push_back(std::move(slot));
  resize_workers(self, st.entries.size() - 1);
}

/// Stops managing account i: idle workers stop now, busy ones when their
/// call returns; requests waiting for its refresh move on.
void drop_account(self_ptr self, size_t i) {
  auto& st = self->state;
  revoke_tickets(self, [&](const std::string& id) { return id == st.entries[i].id; });
  auto& slot = st.slots[i];
  for (auto& w : slot.workers) {
    if (std::find(slot.idle.begin(), slot.idle.end(), w) != slot.idle.end())
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    else
      st.retiring.insert(w.address());
  }
  auto waiters = std::move(slot.refresh_waiters);
  for (auto& rp : slot.refresh_promises)
    rp.deliver(false, std::string{"the account was removed"});
  auto id = st.entries[i].id;
  st.entries.erase(st.entries.begin() + static_cast<std::ptrdiff_t>(i));
  st.slots.erase(st.slots.begin() + static_cast<std::ptrdiff_t>(i));
  for (auto pid : waiters) {
    auto it = st.pending.find(pid);
    if (it == st.pending.end())
      continue;
    it->second.pinned.reset();
    it->second.excluded.push_back(id);
    start_or_queue(self, pid);
  }
}

/// Applies a record's editable fields (priority, enabled, credentials) to
/// the running account i.
void apply_record(self_ptr self, size_t i) {
  auto& st = self->state;
  auto& rec = record_of(self, i);
  auto& e = st.entries[i];
  auto& slot = st.slots[i];
  e.priority = priority_of(rec);
  slot.email = email_of(rec);
  auto creds = credentials_of(rec);
  if (creds.refresh_token != slot.creds.refresh_token ||
      creds.access_token != slot.creds.access_token ||
      creds.method != slot.creds.method || creds.client_id != slot.creds.client_id) {
    slot.creds = creds;
    auto t = now(self);
    slot.refresh_due_ms = refresh_due_ms(slot.creds, t, st.cfg.refresh_buffer_seconds);
    if (e.state == pool::account_state::error)
      pool::apply_success(e);
  }
  if (!rec.enabled) {
    e.state = pool::account_state::disabled;
  } else if (e.state == pool::account_state::disabled) {
    e.state = pool::account_state::active;
    e.available_at_ms = 0;
    e.last_error.clear();
  }
  resize_workers(self, i);
}

using command_reply = caf::result<bool, std::string>;

command_reply ok_reply(nlohmann::json body) {
  return {true, body.dump()};
}

command_reply error_reply(std::string message) {
  return {false, std::move(message)};
}

/// One account object (the seed's shape) → a validated record.
std::variant<config::account, std::string> parse_one_account(const std::string& text) {
  auto parsed = config::parse_accounts("{\"accounts\":[" + text + "]}", "account");
  if (!parsed)
    return parsed.error().to_string();
  if (parsed->accounts.size() != 1)
    return std::string{"expected exactly one account object"};
  return std::move(parsed->accounts.front());
}

/// The account `rec` already is, and on what: with the same sign-in method,
/// the same refresh token, or the same email (a new login of a known user).
/// A profileArn alone says nothing: social logins share one.
std::optional<std::pair<size_t, std::string>> same_account(self_ptr self,
                                                           const config::account& rec) {
  auto& st = self->state;
  auto lower = [](std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (size_t i = 0; i < st.entries.size(); ++i) {
    auto& known = record_of(self, i);
    if (known.credentials.method != rec.credentials.method)
      continue; // another sign-in endpoint: another login
    if (!rec.credentials.refresh_token.empty() &&
        known.credentials.refresh_token == rec.credentials.refresh_token)
      return std::pair{i, std::string{"refresh token"}};
    if (!rec.email.empty() && lower(known.email) == lower(rec.email) &&
        (rec.credentials.profile_arn.empty() || known.credentials.profile_arn.empty() ||
         known.credentials.profile_arn == rec.credentials.profile_arn))
      return std::pair{i, std::string{"email"}};
  }
  return std::nullopt;
}

command_reply add_command(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto parsed = parse_one_account(text);
  if (auto* err = std::get_if<std::string>(&parsed))
    return error_reply(*err);
  auto rec = std::get<config::account>(std::move(parsed));
  // Importing the same login twice updates it instead of a second account
  // that would double-count one quota.
  if (rec.needs_id || rec.id.empty() || !st.cfg.accounts.find(rec.id)) {
    if (auto same = same_account(self, rec)) {
      auto& known = record_of(self, same->first);
      known.credentials = rec.credentials;
      if (known.email.empty())
        known.email = rec.email;
      apply_record(self, same->first);
      report(self, same->first);
      persist(self);
      KB_INFO("supervisor", "account " << known.id << " updated in place (same "
                                       << same->second << ")");
      drain_queue(self);
      return ok_reply({{"id", known.id}, {"updated", true}, {"matchedOn", same->second}});
    }
  }
  if (rec.needs_id || rec.id.empty()) {
    rec.id = random_uuid();
    rec.needs_id = false;
  }
  if (st.cfg.accounts.find(rec.id))
    return error_reply("an account with id " + rec.id + " already exists");
  if (!rec.created_at_ms)
    rec.created_at_ms = now(self);
  auto id = rec.id;
  st.cfg.accounts.accounts.push_back(std::move(rec));
  add_account(self, st.cfg.accounts.accounts.back());
  report(self, st.entries.size() - 1);
  persist(self);
  KB_INFO("supervisor", "account " << id << " added");
  drain_queue(self);
  return ok_reply({{"id", id}});
}

command_reply remove_command(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto i = index_of(self, id);
  if (!i)
    return error_reply("no account with id " + id);
  drop_account(self, *i);
  st.cfg.accounts.remove(id);
  persist(self);
  KB_INFO("supervisor", "account " << id << " removed");
  return ok_reply({{"id", id}});
}

command_reply update_command(self_ptr self, const std::string& id,
                             const std::string& patch_text) {
  auto i = index_of(self, id);
  if (!i)
    return error_reply("no account with id " + id);
  auto patch = nlohmann::json::parse(patch_text, nullptr, false);
  if (patch.is_discarded() || !patch.is_object())
    return error_reply("the update must be a JSON object");
  auto& rec = record_of(self, *i);
  auto next = rec;
  for (auto& [key, value] : patch.items()) {
    if (key == "priority" && value.is_number_integer())
      next.priority = value.get<int>();
    else if (key == "enabled" && value.is_boolean())
      next.enabled = value.get<bool>();
    else if (key == "email" && value.is_string())
      next.email = value.get<std::string>();
    else if (key == "nickname" && value.is_string())
      next.nickname = value.get<std::string>();
    else
      return error_reply(key + ": not an editable field of the right type "
                               "(priority: integer, enabled: boolean, "
                               "email/nickname: string)");
  }
  rec = std::move(next);
  apply_record(self, *i);
  report(self, *i);
  persist(self);
  drain_queue(self);
  return ok_reply({{"id", id}});
}

command_reply workers_command(self_ptr self, int32_t n) {
  auto& st = self->state;
  if (n < 1 || n > 1024)
    return error_reply("workersPerAccount must be between 1 and 1024");
  st.cfg.workers_per_account = n;
  for (size_t i = 0; i < st.entries.size(); ++i) {
    resize_workers(self, i);
    report(self, i);
  }
  drain_queue(self);
  return ok_reply({{"workersPerAccount", n}});
}

/// Re-reads the accounts file (and the supervisor's server-config keys);
/// nothing changes when either is invalid.
command_reply reload_command(self_ptr self) {
  auto& st = self->state;
  std::optional<config::server_config> server;
  if (!st.cfg.server_config_path.empty()) {
    auto loaded = config::load_server_config(st.cfg.server_config_path);
    if (!loaded)
      return error_reply(loaded.error().to_string());
    server = std::move(loaded).value();
  }
  auto loaded = config::load_accounts(st.cfg.accounts_path);
  if (!loaded)
    return error_reply(loaded.error().to_string());
  auto next = std::move(loaded).value();
  for (auto& a : next.accounts) {
    if (a.needs_id || a.id.empty()) {
      a.id = random_uuid();
      a.needs_id = false;
    }
  }
  nlohmann::json added = nlohmann::json::array();
  nlohmann::json removed = nlohmann::json::array();
  nlohmann::json updated = nlohmann::json::array();
  std::vector<std::string> gone;
  for (auto& e : st.entries)
    if (!next.find(e.id))
      gone.push_back(e.id);
  for (auto& id : gone) {
    drop_account(self, *index_of(self, id));
    removed.push_back(id);
  }
  st.cfg.accounts = std::move(next);
  if (server) {
    if (to_pool_strategy(server->strategy) != st.cfg.strategy) // placed by the old one
      revoke_tickets(self, [](const std::string&) { return true; });
    st.cfg.strategy = to_pool_strategy(server->strategy);
    st.cfg.auto_switch = server->auto_switch_on_error;
    st.cfg.queue_timeout_ms = server->queue_timeout_ms;
    st.cfg.refresh_buffer_seconds = server->token_refresh.buffer_seconds;
    st.cfg.refresh_retry_attempts = server->token_refresh.retry_attempts;
    st.cfg.workers_per_account = server->workers_per_account;
  }
  for (auto& rec : st.cfg.accounts.accounts) {
    if (auto i = index_of(self, rec.id)) {
      apply_record(self, *i);
      updated.push_back(rec.id);
    } else {
      add_account(self, rec);
      added.push_back(rec.id);
    }
  }
  for (size_t i = 0; i < st.entries.size(); ++i)
    report(self, i);
  persist(self);
  drain_queue(self);
  KB_INFO("supervisor", "reloaded: " << added.size() << " added, "
                                     << removed.size() << " removed, "
                                     << updated.size() << " kept");
  return ok_reply({{"added", added}, {"removed", removed}, {"updated", updated}});
}

void append_text(std::string& text, const std::vector<stream_event>& events) {
  for (auto& ev : events)
    if (ev.kind == stream_event_kind::text)
      text += ev.text;
}

/// Collects one test answer and replies to the admin's request.
caf::behavior test_collector(caf::event_based_actor* self,
                             caf::response_promise rp, int64_t started_ms) {
  auto text = std::make_shared<std::string>();
  auto elapsed = [started_ms] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
             .count() - started_ms;
  };
  return {
    [text](atom::events, const std::string&, const std::vector<stream_event>& events) {
      append_text(*text, events);
    },
    [self, rp, text, elapsed](atom::done, const std::string&,
                              const std::vector<stream_event>& events,
                              const std::string& account) mutable {
      append_text(*text, events);
      rp.deliver(true, nlohmann::json{{"ok", true}, {"account", account},
                                      {"text", text->substr(0, 500)},
                                      {"ms", elapsed()}}.dump());
      self->quit();
    },
    [self, rp](atom::failed, const std::string&, const api_error& err) mutable {
      rp.deliver(false, err.message);
      self->quit();
    },
  };
}

/// Registers a request (its sink watched for a client that goes away).
uint64_t add_pending(self_ptr self, pending_request p) {
  auto& st = self->state;
  auto pid = st.next_id++;
  p.deadline_ms = now(self) + st.cfg.queue_timeout_ms;
  auto& sink_pids = st.by_sink[p.sink.address()];
  if (sink_pids.empty())
    self->monitor(p.sink);
  sink_pids.push_back(pid);
  st.pending.emplace(pid, std::move(p));
  return pid;
}

void on_ticket_done(self_ptr self, uint64_t id, call_outcome& o, dispatch* d) {
  auto& st = self->state;
  auto it = st.issued.find(id);
  if (it == st.issued.end())
    return;
  auto [account_id, worker] = std::move(it->second);
  st.issued.erase(it);
  if (auto i = index_of(self, account_id))
    count_call(self, *i);
  if (o.result == call_result::upstream_failed && d) {
    pending_request p;
    p.conv = std::move(d->conv);
    p.sink = std::move(d->sink);
    p.cancel = std::move(d->cancel);
    p.attempts = 1;
    auto pid = add_pending(self, std::move(p));
    on_outcome(self, pid, account_id, worker, o);
    return;
  }
  on_outcome(self, 0, account_id, worker, o); // no request waits: frees the worker
}

void enqueue_request(self_ptr self, conversation conv, caf::actor sink,
                     std::optional<std::string> only_account) {
  auto& st = self->state;
  pending_request p;
  p.conv = std::make_shared<const conversation>(std::move(conv));
  p.sink = std::move(sink);
  p.cancel = std::make_shared<call_cancel>();
  if (only_account) {
    p.pinned = *only_account;
    for (auto& e : st.entries)
      if (e.id != *only_account)
        p.excluded.push_back(e.id);
  }
  auto pid = add_pending(self, std::move(p));
  if (st.entries.empty()) {
    fail_unavailable(self, pid);
    return;
  }
  start_or_queue(self, pid);
}

caf::result<bool, std::string> test_command(self_ptr self, const std::string& id) {
  auto i = index_of(self, id);
  if (!i)
    return error_reply("no account with id " + id);
  auto rp = self->make_response_promise();
  auto sink = self->spawn(test_collector, rp, now(self));
  conversation conv;
  conv.request_id = "test_" + id;
  conv.model = "claude-sonnet-4-5";
  conv.upstream_model = "claude-sonnet-4.5";
  conv.max_tokens = 64;
  turn t;
  t.text = "Reply with the single word OK.";
  conv.turns.push_back(std::move(t));
  enqueue_request(self, std::move(conv), sink, id);
  return caf::delegated<bool, std::string>{};
}

caf::result<bool, std::string> refresh_command(self_ptr self, const std::string& id) {
  auto i = index_of(self, id);
  if (!i)
    return error_reply("no account with id " + id);
  auto rp = self->make_response_promise();
  self->state.slots[*i].refresh_promises.push_back(rp);
  start_refresh(self, *i);
  return caf::delegated<bool, std::string>{};
}

/// Kiro's model list through the first active account with a live token.
caf::result<bool, std::string> models_command(self_ptr self) {
  auto& st = self->state;
  auto t = now(self);
  for (size_t i = 0; i < st.entries.size(); ++i) {
    auto& slot = st.slots[i];
    if (st.entries[i].state != pool::account_state::active ||
        slot.creds.access_token.empty() || slot.creds.expires_at_ms <= t)
      continue;
    auto rp = self->make_response_promise();
    self->request(st.maintainer, std::chrono::seconds(30), atom::models::value,
                  st.entries[i].id, slot.creds)
      .then([rp](bool ok, std::string& text) mutable { rp.deliver(ok, std::move(text)); },
            [rp, self](caf::error& err) mutable {
              rp.deliver(false, "ListAvailableModels failed: " + self->system().render(err));
            });
    return caf::delegated<bool, std::string>{};
  }
  return error_reply("no active account with a valid token to ask Kiro");
}

std::string status_json(self_ptr self) {
  auto& st = self->state;
  int64_t in_flight = 0;
  for (auto& e : st.entries)
    in_flight += e.in_flight - untaken_tickets(self, e.id);
  return nlohmann::json{{"queueDepth", st.queue.size()},
                        {"pending", st.pending.size()},
                        {"inFlight", in_flight},
                        {"accounts", st.entries.size()},
                        {"workersPerAccount", st.cfg.workers_per_account}}
    .dump();
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
  if (st.cfg.admin)
    st.subscribers.push_back(st.cfg.admin);
  for (auto& rec : st.cfg.accounts.accounts)
    add_account(self, rec);
  for (size_t i = 0; i < st.entries.size(); ++i)
    report(self, i);
  issue_tickets(self);
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
    auto sub = std::find_if(st.subscribers.begin(), st.subscribers.end(),
                            [&](const caf::actor& a) { return a.address() == m.source; });
    if (sub != st.subscribers.end()) {
      st.subscribers.erase(sub);
      return;
    }
    auto it = st.by_sink.find(m.source);
    if (it == st.by_sink.end())
      return;
    auto pids = it->second;
    for (auto pid : pids) {
      auto p = st.pending.find(pid);
      if (p != st.pending.end()) {
        p->second.cancel->cancel();
        KB_DEBUG("supervisor", p->second.conv->request_id
                                 << ": client went away, cancelling");
      }
      finish(self, pid);
    }
  });
  self->send(self, atom::tick::value);
  return {
    [self](atom::generate, conversation& conv, caf::actor& sink) {
      enqueue_request(self, std::move(conv), std::move(sink), std::nullopt);
    },
    [self](atom::run, uint64_t ticket_id, call_outcome& o) {
      on_ticket_done(self, ticket_id, o, nullptr);
    },
    [self](atom::run, uint64_t ticket_id, call_outcome& o, dispatch& d) {
      on_ticket_done(self, ticket_id, o, &d);
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
    [self](caf::get_atom, atom::status) { return status_json(self); },
    [self](atom::subscribe, caf::actor& subscriber) {
      auto& st = self->state;
      self->monitor(subscriber);
      st.subscribers.push_back(subscriber);
      for (size_t i = 0; i < st.entries.size(); ++i)
        self->send(subscriber, caf::put_atom::value, status_of(self, i));
    },
    [self](atom::reload) { return reload_command(self); },
    [self](atom::add, const std::string& text) { return add_command(self, text); },
    [self](atom::remove, const std::string& id) { return remove_command(self, id); },
    [self](atom::update, const std::string& id, const std::string& patch) {
      return update_command(self, id, patch);
    },
    [self](atom::test, const std::string& id) { return test_command(self, id); },
    [self](atom::refresh, const std::string& id) { return refresh_command(self, id); },
    [self](atom::workers, int32_t n) { return workers_command(self, n); },
    [self](caf::get_atom, atom::models) { return models_command(self); },
    [self](caf::get_atom, atom::model_list) -> caf::result<bool, std::string> {
      return {true, served_models_json(self)};
    },
  };
}

} // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_config cfg) {
  return sys.spawn(supervisor_behavior, std::move(cfg));
}

} // namespace kb::sup
