// kb::socket_stream: coalesced writes, buffered reads; the clients on top.

#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <httplib.h>

#include "services/http/http_clients.hpp"
#include "services/http/http_server.hpp"
#include "services/http/socket_stream.hpp"
#include "tests/support/process.hpp"
#include "tests/support/serving.hpp"

using namespace std::chrono_literals;

namespace {

/// A connected pair of stream sockets: `ours` for the socket_stream,
/// `peer` read directly.
struct socket_pair {
  int ours = -1;
  int peer = -1;
  socket_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ours = fds[0];
    peer = fds[1];
  }
  ~socket_pair() {
    ::close(ours);
    ::close(peer);
  }
  /// What the peer can read right now, without waiting.
  std::string peer_reads_now() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }
  void peer_sends(const std::string& s) const {
    REQUIRE(::send(peer, s.data(), s.size(), 0) == static_cast<ssize_t>(s.size()));
  }
};

} // namespace

TEST_CASE("the first write of a message waits for the next one and leaves with it") {
  socket_pair p;
  kb::socket_stream s{p.ours, 1000, 1000};
  CHECK(s.write("HEAD", 4) == 4);
  CHECK(p.peer_reads_now().empty());
  CHECK(s.write("BODY", 4) == 4);
  CHECK(p.peer_reads_now() == "HEADBODY");
  // Later writes of the same message go out at once.
  CHECK(s.write("MORE", 4) == 4);
  CHECK(p.peer_reads_now() == "MORE");
}

TEST_CASE("held bytes leave before the stream reads, checks readiness or is flushed") {
  socket_pair p;
  kb::socket_stream s{p.ours, 1000, 1000};
  SUBCASE("a read (100 Continue, then the body)") {
    s.write("HTTP/1.1 100 Continue\r\n\r\n", 25);
    p.peer_sends("body");
    char buf[16];
    CHECK(s.read(buf, sizeof(buf)) == 4);
    CHECK(p.peer_reads_now() == "HTTP/1.1 100 Continue\r\n\r\n");
  }
  SUBCASE("is_writable (a chunked body's header block)") {
    s.write("headers", 7);
    CHECK(s.is_writable());
    CHECK(p.peer_reads_now() == "headers");
  }
  SUBCASE("is_readable") {
    s.write("headers", 7);
    p.peer_sends("x");
    CHECK(s.is_readable());
    CHECK(p.peer_reads_now() == "headers");
  }
  SUBCASE("flush and destruction") {
    s.write("headers", 7);
    CHECK(s.flush());
    CHECK(p.peer_reads_now() == "headers");
    {
      kb::socket_stream t{p.ours, 1000, 1000};
      t.write("last", 4);
    }
    CHECK(p.peer_reads_now() == "last");
  }
}

TEST_CASE("after a read the next write starts a new message and is held again") {
  socket_pair p;
  kb::socket_stream s{p.ours, 1000, 1000};
  s.write("a", 1);
  s.write("b", 1);
  p.peer_sends("request");
  char buf[16];
  CHECK(s.read(buf, 3) == 3);
  CHECK(s.read(buf, sizeof(buf)) == 4); // the rest comes from the buffer
  CHECK(p.peer_reads_now() == "ab");
  s.write("c", 1);
  CHECK(p.peer_reads_now().empty());
  s.write("d", 1);
  CHECK(p.peer_reads_now() == "cd");
}

TEST_CASE("a first write too big to hold goes out at once, whole") {
  socket_pair p;
  kb::socket_stream s{p.ours, 1000, 1000};
  std::string big(64 * 1024, 'x');
  std::string got;
  std::thread reader{[&] {
    char buf[8192];
    while (got.size() < big.size()) {
      auto n = ::recv(p.peer, buf, sizeof(buf), 0);
      if (n <= 0)
        break;
      got.append(buf, static_cast<size_t>(n));
    }
  }};
  CHECK(s.write(big.data(), big.size()) == static_cast<ssize_t>(big.size()));
  reader.join();
  CHECK(got == big);
}

TEST_CASE("a write to a peer that left fails, and so does every later one") {
  socket_pair p;
  kb::socket_stream s{p.ours, 1000, 1000};
  ::shutdown(p.peer, SHUT_RDWR);
  s.write("held", 4);
  CHECK(s.write("body", 4) == -1);
  CHECK_FALSE(s.flush());
  CHECK(s.write("again", 5) == -1);
}

TEST_CASE("the plain client talks to our server over one keep-alive connection") {
  kb::http_server server;
  std::vector<std::string> bodies;
  std::mutex m;
  server.Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> g{m};
    bodies.push_back(req.body);
    res.set_content(req.body + "|" + std::to_string(req.remote_port), "text/plain");
  });
  server.Get("/empty", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  server.set_keep_alive_max_count(1000);
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  {
    kb::plain_http_client cli{"127.0.0.1", port};
    cli.set_keep_alive(true);
    std::string first_port;
    for (int i = 0; i < 20; ++i) {
      auto res = cli.Post("/echo", "ping " + std::to_string(i), "text/plain");
      REQUIRE(res);
      CHECK(res->status == 200);
      auto bar = res->body.find('|');
      REQUIRE(bar != std::string::npos);
      CHECK(res->body.substr(0, bar) == "ping " + std::to_string(i));
      if (i == 0)
        first_port = res->body.substr(bar + 1);
      CHECK(res->body.substr(bar + 1) == first_port); // one connection
      auto empty = cli.Get("/empty");
      REQUIRE(empty);
      CHECK(empty->status == 204); // a body-less answer is not held back
    }
  }
  CHECK(bodies.size() == 20);
}

TEST_CASE("the TLS client verifies the server and keeps one connection for small and big bodies") {
  kb::test::temp_dir dir;
  auto tls = kb::test::make_self_signed_cert(dir);
  REQUIRE(tls);
  httplib::SSLServer server{tls->cert.c_str(), tls->key.c_str()};
  REQUIRE(server.is_valid());
  server.set_keep_alive_max_count(1000);
  server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body + "|" + std::to_string(req.remote_port), "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  {
    kb::tls_http_client cli{"127.0.0.1", port};
    cli.set_ca_cert_path(tls->cert.c_str());
    cli.enable_server_certificate_verification(true);
    cli.set_keep_alive(true);
    std::string first_port;
    for (int i = 0; i < 10; ++i) {
      // Alternate a body that is held with its header block and one that is not.
      std::string body = i % 2 ? std::string(100 * 1024, static_cast<char>('a' + i)) : "ping";
      auto res = cli.Post("/echo", body, "text/plain");
      REQUIRE(res);
      CHECK(res->status == 200);
      auto bar = res->body.rfind('|');
      REQUIRE(bar != std::string::npos);
      CHECK(res->body.substr(0, bar) == body);
      if (i == 0)
        first_port = res->body.substr(bar + 1);
      CHECK(res->body.substr(bar + 1) == first_port);
    }
  }
  {
    kb::tls_http_client untrusting{"127.0.0.1", port}; // no CA for the self-signed cert
    untrusting.enable_server_certificate_verification(true);
    auto res = untrusting.Post("/echo", "x", "text/plain");
    CHECK_FALSE(res);
  }
}
