// kb::http_server: httplib's request handling inside our own socket loop.

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <httplib.h>

#include "services/http/http_server.hpp"
#include "tests/support/serving.hpp"

using namespace std::chrono_literals;

namespace {

/// A server on a free loopback port, answering GET /echo with the peer's
/// address and POST /echo with the body, for the length of a scope.
struct running_server {
  kb::http_server server;
  int port = 0;
  std::optional<kb::test::serving> serving;

  explicit running_server(int keep_alive_s = 5) {
    server.set_keep_alive_timeout(keep_alive_s);
    server.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.remote_addr, "text/plain");
    });
    server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    server.widen_backlog();
    serving.emplace(server);
  }
};

/// A raw loopback connection, for what httplib's client does not do.
struct raw_connection {
  int fd = -1;
  explicit raw_connection(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~raw_connection() { ::close(fd); }
  void send_all(const std::string& s) { REQUIRE(::send(fd, s.data(), s.size(), 0) == static_cast<ssize_t>(s.size())); }
  /// Everything until the peer closes or `timeout` passes.
  std::string read_until_closed(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0)
      out.append(buf, static_cast<size_t>(n));
    closed = n == 0;
    return out;
  }
  bool closed = false;
};

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("one keep-alive connection serves many requests, with the peer's address") {
  running_server s;
  httplib::Client cli{"127.0.0.1", s.port};
  cli.set_keep_alive(true);
  for (int i = 0; i < 50; ++i) {
    auto res = cli.Get("/echo");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "127.0.0.1");
  }
  std::string big(1 << 20, 'x');
  auto res = cli.Post("/echo", big, "text/plain");
  REQUIRE(res);
  CHECK(res->body == big);
}

TEST_CASE("pipelined requests in one write are all answered") {
  running_server s;
  raw_connection c{s.port};
  c.send_all("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
             "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto out = c.read_until_closed(5s);
  CHECK(count_of(out, "HTTP/1.1 200 OK") == 3);
  CHECK(out.find("hello") != std::string::npos);
  CHECK(c.closed);
}

TEST_CASE("an idle keep-alive connection is closed after the keep-alive timeout") {
  running_server s{1};
  raw_connection c{s.port};
  c.send_all("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  auto started = std::chrono::steady_clock::now();
  auto out = c.read_until_closed(5s);
  CHECK(count_of(out, "HTTP/1.1 200 OK") == 1);
  CHECK(c.closed);
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("stopping the server does not wait for idle keep-alive connections") {
  auto s = std::make_unique<running_server>(60);
  raw_connection c{s->port};
  c.send_all("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  auto started = std::chrono::steady_clock::now();
  s.reset();
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("a client that sends garbage gets 400 and the connection ends") {
  running_server s;
  raw_connection c{s.port};
  c.send_all("NOT-HTTP\r\n\r\n");
  auto out = c.read_until_closed(5s);
  CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(c.closed);
}
