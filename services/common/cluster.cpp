#include "services/common/cluster.hpp"

#include <algorithm>
#include <unordered_map>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/common/actor_setup.hpp"
#include "services/common/guarded_publish.hpp"
#include "services/common/log.hpp"

namespace kb::cluster {

std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int attempt) {
  auto delay = std::max<int64_t>(policy.initial.count(), 1);
  auto cap = std::max<int64_t>(policy.max.count(), delay);
  for (int i = 0; i < attempt && delay < cap; ++i)
    delay *= 2;
  return std::chrono::milliseconds(std::min(delay, cap));
}

api_error no_supervisor_error() {
  return api_error{error_kind::overloaded,
                   "no account supervisor is reachable right now; retry shortly"};
}

namespace {

/// Loads the middleman and sets the heartbeat that detects a silent peer.
void configure_middleman(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  // Heartbeats let both sides notice a peer that vanished without a FIN.
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(5)});
}

} // namespace

void configure_daemon_system(caf::actor_system_config& cfg, const tls_settings& tls) {
  configure_actor_system(cfg, 2);
  configure_middleman(cfg);
  if (tls.enabled()) {
    // Any of these set makes CAF 0.17's session require a peer certificate
    // that verifies against the CA, on both sides (session.cpp:
    // SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT). Host names are not
    // checked: every certificate the private CA signed is a peer.
    cfg.load<caf::openssl::manager>();
    cfg.openssl_cafile = tls.ca_file;
    cfg.openssl_certificate = tls.cert_file;
    cfg.openssl_key = tls.key_file;
  }
}

std::string tls_problem(const tls_settings& tls) {
  if (!tls.enabled())
    return {};
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_method()),
                                                        &SSL_CTX_free};
  if (!ctx)
    return "cannot create a TLS context";
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1)
    return "cluster.tls.certFile " + tls.cert_file + " is not a readable PEM certificate";
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return "cluster.tls.keyFile " + tls.key_file + " is not a readable, unencrypted PEM key";
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return "cluster.tls.keyFile does not match cluster.tls.certFile";
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1)
    return "cluster.tls.caFile " + tls.ca_file + " is not a readable PEM CA certificate";
  // The daemon's own certificate must verify against the CA, or no peer
  // would accept it.
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> check{
    X509_STORE_CTX_new(), &X509_STORE_CTX_free};
  if (!check || X509_STORE_CTX_init(check.get(), SSL_CTX_get_cert_store(ctx.get()),
                                    SSL_CTX_get0_certificate(ctx.get()), nullptr) != 1)
    return "cannot check cluster.tls.certFile against cluster.tls.caFile";
  if (X509_verify_cert(check.get()) != 1)
    return "cluster.tls.certFile is not signed by cluster.tls.caFile: " +
           std::string{X509_verify_cert_error_string(X509_STORE_CTX_get_error(check.get()))};
  return {};
}

// -- supervisor_slot ----------------------------------------------------------

caf::actor supervisor_slot::get() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return current_;
}

void supervisor_slot::set(caf::actor supervisor) {
  std::lock_guard<std::mutex> guard{mutex_};
  current_ = std::move(supervisor);
}

void supervisor_slot::clear() {
  std::lock_guard<std::mutex> guard{mutex_};
  current_ = nullptr;
}

// -- the proxy ----------------------------------------------------------------

namespace {

struct proxy_state {
  std::shared_ptr<supervisor_slot> slot;
  /// The latest generate call of each sink (a gateway reuses sinks): the
  /// supervisor that took it and its request id. The proxy never sees a call
  /// end, so when that supervisor goes away the sink is told even if the call
  /// had finished; the sink drops the message then (the id is not its current).
  struct last_call {
    caf::actor_addr supervisor;
    std::string request_id;
  };
  std::unordered_map<caf::actor_addr, last_call> sinks;
  /// Supervisors this proxy monitors.
  std::vector<caf::actor_addr> watched;
  static inline const char* name = "supervisor-proxy";
};

using proxy_actor = caf::stateful_actor<proxy_state>;

void watch(proxy_actor* self, const caf::actor& supervisor) {
  auto& w = self->state.watched;
  if (std::find(w.begin(), w.end(), supervisor.address()) != w.end())
    return;
  w.push_back(supervisor.address());
  self->monitor(supervisor);
}

/// Fails every call that `supervisor` held when it went away.
void fail_calls_of(proxy_actor* self, const caf::actor_addr& supervisor) {
  auto& sinks = self->state.sinks;
  for (auto i = sinks.begin(); i != sinks.end();) {
    if (i->second.supervisor != supervisor) {
      ++i;
      continue;
    }
    if (auto sink = caf::actor_cast<caf::actor>(i->first)) {
      self->send(sink, atom::failed::value, i->second.request_id, no_supervisor_error());
      self->demonitor(sink);
    }
    i = sinks.erase(i);
  }
}

caf::result<caf::message> forward(proxy_actor* self, caf::message msg) {
  auto supervisor = self->state.slot->get();
  bool is_generate = msg.match_elements<atom::generate, conversation, caf::actor>();
  if (is_generate) {
    const auto& sink = msg.get_as<caf::actor>(2);
    const auto& request_id = msg.get_as<conversation>(1).request_id;
    if (!supervisor) {
      if (sink)
        self->send(sink, atom::failed::value, request_id, no_supervisor_error());
      return caf::message{};
    }
    if (sink) {
      auto [call, added] = self->state.sinks.try_emplace(sink.address());
      if (added)
        self->monitor(sink);
      call->second = {supervisor.address(), request_id};
    }
  }
  if (!supervisor) {
    if (self->current_mailbox_element()->mid.is_request())
      return caf::make_error(caf::sec::cannot_connect_to_node,
                             "no account supervisor is connected");
    return caf::message{};
  }
  watch(self, supervisor);
  return self->delegate(supervisor, std::move(msg));
}

caf::behavior supervisor_proxy(proxy_actor* self, std::shared_ptr<supervisor_slot> slot) {
  self->state.slot = std::move(slot);
  self->set_default_handler([self](caf::scheduled_actor*, caf::message_view& view) {
    return forward(self, view.move_content_to_message());
  });
  self->set_down_handler([self](caf::scheduled_actor*, caf::down_msg& down) {
    auto& w = self->state.watched;
    if (auto i = std::find(w.begin(), w.end(), down.source); i != w.end()) {
      w.erase(i);
      fail_calls_of(self, down.source);
      return;
    }
    self->state.sinks.erase(down.source);
  });
  // Only the default handler does work: this tag is never sent.
  using never = caf::atom_constant<caf::atom("pxnever")>;
  return {[](never) {}};
}

} // namespace

caf::actor spawn_supervisor_proxy(caf::actor_system& sys,
                                  std::shared_ptr<supervisor_slot> slot) {
  return sys.spawn(supervisor_proxy, std::move(slot));
}

// -- supervisor_link ----------------------------------------------------------

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

bool tcp_reachable(const std::string& host, uint16_t port,
                   std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0)
    return false;
  bool reachable = false;
  for (auto* ai = found; ai != nullptr && !reachable; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0)
      continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      reachable = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        reachable = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
      }
    }
    ::close(fd);
  }
  freeaddrinfo(found);
  return reachable;
}

supervisor_link::supervisor_link(caf::actor_system& sys, link_options opts)
  : sys_(sys),
    opts_(std::move(opts)),
    slot_(std::make_shared<supervisor_slot>()),
    proxy_(spawn_supervisor_proxy(sys, slot_)) {
  thread_ = std::thread{[this] { run(); }};
}

supervisor_link::~supervisor_link() {
  stop();
}

int supervisor_link::connections() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return connections_;
}

bool supervisor_link::wait_connected(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> guard{mutex_};
  return changed_.wait_for(guard, timeout,
                           [this] { return stopping_ || slot_->get() != nullptr; }) &&
         slot_->get() != nullptr;
}

void supervisor_link::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable())
    thread_.join();
  slot_->clear();
  caf::anon_send_exit(proxy_, caf::exit_reason::user_shutdown);
}

bool supervisor_link::sleep_unless_stopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> guard{mutex_};
  return !changed_.wait_for(guard, d, [this] { return stopping_; });
}

void supervisor_link::run() {
  auto where = opts_.host + ":" + std::to_string(opts_.port);
  auto stopped = [this] {
    std::lock_guard<std::mutex> guard{mutex_};
    return stopping_;
  };
  int attempt = 0;
  while (!stopped()) {
    caf::actor supervisor;
    std::string why = "not reachable";
    if (tcp_reachable(opts_.host, opts_.port, opts_.connect_timeout)) {
      auto found = opts_.tls ? tls_remote_actor(sys_, opts_.host, opts_.port)
                             : sys_.middleman().remote_actor(opts_.host, opts_.port);
      if (found)
        supervisor = std::move(*found);
      else
        why = sys_.render(found.error());
    }
    if (!supervisor) {
      // Log the first failure and then about every half minute, not each retry.
      if (attempt % 15 == 0)
        KB_WARN(opts_.component, "supervisor at " << where << " " << why
                                                  << "; retrying with backoff");
      if (!sleep_unless_stopped(backoff_delay(opts_.backoff, attempt++)))
        return;
      continue;
    }
    attempt = 0;
    slot_->set(supervisor);
    if (opts_.on_connect)
      opts_.on_connect(supervisor);
    {
      std::lock_guard<std::mutex> guard{mutex_};
      ++connections_;
    }
    changed_.notify_all();
    KB_INFO(opts_.component, "connected to the supervisor at " << where);
    caf::scoped_actor self{sys_};
    self->monitor(supervisor);
    bool down = false;
    while (!down && !stopped())
      self->receive([&](caf::down_msg&) { down = true; },
                    caf::after(std::chrono::milliseconds(200)) >> [] {});
    slot_->clear();
    changed_.notify_all();
    if (down)
      KB_WARN(opts_.component, "lost the supervisor at " << where << "; reconnecting");
  }
}

} // namespace kb::cluster
