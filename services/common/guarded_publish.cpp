#include "services/common/guarded_publish.hpp"

#include <atomic>
#include <optional>

#include <openssl/err.h>

#include <caf/actor_system.hpp>
#include <caf/detail/socket_guard.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/io/network/interfaces.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/openssl/session.hpp>
#include <caf/policy/tcp.hpp>
#include <caf/scoped_actor.hpp>

#include "services/common/log.hpp"

namespace kb::cluster {

namespace {

namespace net = caf::io::network;

std::atomic<std::uint64_t> rejected{0};

/// Reads through TLS (when there is a session) and then the frame guard
/// (when there is one: accepted connections).
///
/// Every TLS call starts with an empty OpenSSL error queue. CAF 0.17's
/// session leaves a failed handshake's errors on the queue (it only drains
/// them when its logging is compiled in), and the queue belongs to the
/// multiplexer thread that serves every connection: the next SSL_get_error
/// of a healthy connection then read the stale error as its own and closed
/// it. One peer with a wrong certificate dropped every other daemon.
class guarded_policy {
public:
  guarded_policy(std::optional<basp_limits> limits, caf::openssl::session_ptr session)
    : session_(std::move(session)) {
    if (limits)
      guard_.emplace(*limits);
  }

  net::rw_state read_some(size_t& result, net::native_socket fd, void* buf, size_t len) {
    net::rw_state state;
    if (session_) {
      ERR_clear_error();
      state = session_->read_some(result, fd, buf, len);
    } else {
      state = caf::policy::tcp::read_some(result, fd, buf, len);
    }
    if (state == net::rw_state::failure || result == 0 || !guard_)
      return state;
    if (!guard_->feed(static_cast<const char*>(buf), result)) {
      ++rejected;
      auto peer = net::remote_addr_of_fd(fd);
      KB_WARN("cluster", "closed an inter-daemon connection from "
                           << (peer ? *peer : std::string{"?"}) << ": " << guard_->why());
      result = 0;
      return net::rw_state::failure;
    }
    return state;
  }

  net::rw_state write_some(size_t& result, net::native_socket fd, const void* buf,
                           size_t len) {
    if (!session_)
      return caf::policy::tcp::write_some(result, fd, buf, len);
    ERR_clear_error();
    return session_->write_some(result, fd, buf, len);
  }

  bool try_accept(net::native_socket& result, net::native_socket fd) {
    return caf::policy::tcp::try_accept(result, fd);
  }

  bool must_read_more(net::native_socket fd, size_t threshold) {
    return session_ && session_->must_read_more(fd, threshold);
  }

private:
  std::optional<basp_frame_guard> guard_;
  caf::openssl::session_ptr session_;
};

/// caf::io::network::scribe_impl with our policy (scribe_impl fixes policy::tcp).
class guarded_scribe : public caf::io::scribe {
public:
  guarded_scribe(net::default_multiplexer& mpx, net::native_socket fd,
                 std::optional<basp_limits> limits, caf::openssl::session_ptr session)
    : caf::io::scribe(net::conn_hdl_from_socket(fd)),
      tls_(session != nullptr),
      stream_(mpx, fd, limits, std::move(session)) {}

  void configure_read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (!launched_)
      launch();
  }
  void ack_writes(bool enable) override { stream_.ack_writes(enable); }
  std::vector<char>& wr_buf() override { return stream_.wr_buf(); }
  std::vector<char>& rd_buf() override { return stream_.rd_buf(); }
  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }
  void flush() override { stream_.flush(this); }
  std::string addr() const override {
    auto x = net::remote_addr_of_fd(stream_.fd());
    return x ? *x : std::string{};
  }
  uint16_t port() const override {
    auto x = net::remote_port_of_fd(stream_.fd());
    return x ? *x : 0;
  }
  void add_to_loop() override { stream_.activate(this); }
  void remove_from_loop() override { stream_.passivate(); }

private:
  void launch() {
    launched_ = true;
    stream_.start(this);
    // A TLS session may still owe its handshake: a first empty write drives
    // SSL_accept (as CAF's OpenSSL scribe does).
    if (tls_)
      stream_.force_empty_write(this);
  }

  bool launched_ = false;
  bool tls_;
  net::stream_impl<guarded_policy> stream_;
};

class guarded_doorman : public net::doorman_impl {
public:
  guarded_doorman(net::default_multiplexer& mpx, net::native_socket fd, basp_limits limits,
                  bool tls)
    : net::doorman_impl(mpx, fd), limits_(limits), tls_(tls) {}

  bool new_connection() override {
    if (detached())
      return false;
    auto& mpx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    caf::detail::socket_guard closes{fd};
    net::nonblocking(fd, true);
    caf::openssl::session_ptr session;
    if (tls_) {
      ERR_clear_error();
      session = caf::openssl::make_session(parent()->system(), fd, true);
      ERR_clear_error();
      if (!session) {
        // Also every reconnecting daemon's TCP probe (connect, close).
        ++rejected;
        KB_DEBUG("cluster", "an inter-daemon connection closed during its TLS handshake");
        return false;
      }
    }
    auto scribe = caf::make_counted<guarded_scribe>(mpx, fd, limits_, std::move(session));
    closes.release();
    auto hdl = scribe->hdl();
    parent()->add_scribe(std::move(scribe));
    return doorman::new_connection(&mpx, hdl);
  }

private:
  basp_limits limits_;
  bool tls_;
};

class guarded_middleman : public caf::io::middleman_actor_impl {
public:
  guarded_middleman(caf::actor_config& cfg, caf::actor broker, publish_options opts)
    : caf::io::middleman_actor_impl(cfg, std::move(broker)), opts_(std::move(opts)) {}

  const char* name() const override { return "guarded-middleman"; }

protected:
  /// A TLS connection to the supervisor (CAF's OpenSSL middleman does the
  /// same, without clearing the error queue).
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host, uint16_t port) override {
    auto fd = net::new_tcp_connection(host, port);
    if (!fd)
      return std::move(fd.error());
    caf::detail::socket_guard closes{*fd};
    net::nonblocking(*fd, true);
    ERR_clear_error();
    auto session = caf::openssl::make_session(system(), *fd, false);
    ERR_clear_error();
    if (!session)
      return caf::make_error(caf::sec::cannot_connect_to_node, "TLS handshake failed");
    auto& mpx = static_cast<net::default_multiplexer&>(system().middleman().backend());
    auto scribe = caf::make_counted<guarded_scribe>(mpx, *fd, std::nullopt, std::move(session));
    closes.release();
    return scribe;
  }

  caf::expected<caf::io::doorman_ptr> open(uint16_t port, const char* addr,
                                           bool reuse) override {
    auto fd = net::new_tcp_acceptor_impl(port, addr, reuse);
    if (!fd)
      return std::move(fd.error());
    auto& mpx = static_cast<net::default_multiplexer&>(system().middleman().backend());
    return caf::make_counted<guarded_doorman>(mpx, *fd, opts_.limits, opts_.tls);
  }

private:
  publish_options opts_;
};

} // namespace

caf::expected<std::uint16_t> publish_guarded(caf::actor_system& sys, const caf::actor& whom,
                                             const publish_options& opts) {
  auto broker = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto middleman = sys.spawn<guarded_middleman, caf::hidden>(broker, opts);
  caf::expected<std::uint16_t> out{caf::sec::cannot_publish_invalid_actor};
  {
    caf::scoped_actor self{sys};
    self
      ->request(middleman, caf::infinite, caf::publish_atom::value, opts.port,
                caf::actor_cast<caf::strong_actor_ptr>(whom), sys.message_types(whom),
                opts.address, true)
      .receive([&](std::uint16_t port) { out = port; },
               [&](caf::error& err) { out = std::move(err); });
  }
  // The acceptor now belongs to BASP; this actor only opened it.
  caf::anon_send_exit(middleman, caf::exit_reason::kill); // its exit handler ignores others
  return out;
}

caf::expected<caf::actor> tls_remote_actor(caf::actor_system& sys, const std::string& host,
                                           std::uint16_t port) {
  auto broker = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  publish_options opts;
  opts.tls = true;
  auto middleman = sys.spawn<guarded_middleman, caf::hidden>(broker, opts);
  caf::expected<caf::actor> out{caf::sec::cannot_connect_to_node};
  {
    caf::scoped_actor self{sys};
    self->request(middleman, caf::infinite, caf::connect_atom::value, host, port)
      .receive(
        [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
          if (ptr)
            out = caf::actor_cast<caf::actor>(std::move(ptr));
          else
            out = caf::make_error(caf::sec::no_actor_published_at_port);
        },
        [&](caf::error& err) { out = std::move(err); });
  }
  caf::anon_send_exit(middleman, caf::exit_reason::kill);
  return out;
}

std::uint64_t guard_rejections() {
  return rejected.load();
}

} // namespace kb::cluster
