// kb::http_server: our HTTP/1.1 server (parsing, routing, framing, keep-alive,
// streaming, stopping) over real loopback sockets.

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
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
  std::optional<kb::test::serving<kb::http_server>> serving;

  explicit running_server(int keep_alive_s = 5, size_t max_body = 1 << 20)
    : server{options(keep_alive_s, max_body)} {
    server.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.remote_addr, "text/plain");
    });
    server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
    server.Get(R"(/items/([a-z]+)/(\d+))", [](const httplib::Request& req,
                                              httplib::Response& res) {
      res.set_content(req.matches[1].str() + "#" + req.matches[2].str() + " q=" +
                        req.get_param_value("q"),
                      "text/plain");
    });
    server.Get("/path", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.path, "text/plain");
    });
    server.Get("/throws", [](const httplib::Request&, httplib::Response&) {
      throw std::runtime_error("boom");
    });
    server.Get("/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream",
                                       [n = 0](size_t, httplib::DataSink& sink) mutable {
                                         std::string event = "data: " + std::to_string(n) + "\n\n";
                                         if (!sink.write(event.data(), event.size()))
                                           return false;
                                         if (++n == 3)
                                           sink.done();
                                         return true;
                                       });
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      res.set_content("error " + std::to_string(res.status), "text/plain");
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                    std::exception_ptr) {
      res.set_content("caught", "text/plain");
    });
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    serving.emplace(server);
  }

  static kb::http_server_options options(int keep_alive_s, size_t max_body) {
    kb::http_server_options o;
    o.threads = 8;
    o.keep_alive_timeout_s = keep_alive_s;
    o.max_body_bytes = max_body;
    return o;
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

TEST_CASE("routes: exact paths, regex groups, query parameters, decoded paths, HEAD") {
  running_server s;
  httplib::Client cli{"127.0.0.1", s.port};
  auto item = cli.Get("/items/abc/42?q=a%20b");
  REQUIRE(item);
  CHECK(item->body == "abc#42 q=a b");
  auto decoded = cli.Get("/pa%74h");
  REQUIRE(decoded);
  CHECK(decoded->body == "/path");
  auto partial = cli.Get("/items/abc/42/more"); // a regex matches the whole path
  REQUIRE(partial);
  CHECK(partial->status == 404);
  CHECK(partial->body == "error 404");
  auto wrong_method = cli.Delete("/echo");
  REQUIRE(wrong_method);
  CHECK(wrong_method->status == 404);
  raw_connection c{s.port};
  c.send_all("HEAD /path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto out = c.read_until_closed(5s);
  CHECK(out.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(out.find("Content-Length: 5\r\n") != std::string::npos);
  CHECK(out.substr(out.size() - 4) == "\r\n\r\n"); // no body
}

TEST_CASE("request bodies: chunked, 100-continue, and the size limit") {
  running_server s{5, 1000};
  SUBCASE("a chunked body with extensions and a trailer") {
    raw_connection c{s.port};
    c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               "Connection: close\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n"
               "X-Trailer: t\r\n\r\n");
    auto out = c.read_until_closed(5s);
    CHECK(out.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(out.find("\r\n\r\nhello world") != std::string::npos);
  }
  SUBCASE("Expect: 100-continue gets its interim answer before the body is sent") {
    raw_connection c{s.port};
    c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
               "Expect: 100-continue\r\nConnection: close\r\n\r\n");
    char interim[64] = {};
    auto n = ::recv(c.fd, interim, sizeof(interim) - 1, 0);
    REQUIRE(n > 0);
    CHECK(std::string{interim} == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send_all("ok");
    auto out = c.read_until_closed(5s);
    CHECK(out.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(out.substr(out.size() - 2) == "ok");
  }
  SUBCASE("a Content-Length over the limit is answered 413, and the client sending it sees it") {
    raw_connection c{s.port};
    c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
    // The whole body is sent before the answer is read (as simple clients
    // do): the server must not reset the connection under it.
    std::string body(5000000, 'b');
    size_t sent = 0;
    while (sent < body.size()) {
      auto n = ::send(c.fd, body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        break;
      sent += static_cast<size_t>(n);
    }
    CHECK(sent == body.size());
    auto out = c.read_until_closed(5s);
    CHECK(out.rfind("HTTP/1.1 413 Payload Too Large", 0) == 0);
    CHECK(out.find("error 413") != std::string::npos);
    CHECK(c.closed);
  }
  SUBCASE("a chunked body that grows over the limit is answered 413") {
    raw_connection c{s.port};
    c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "400\r\n" + std::string(1024, 'x') + "\r\n");
    auto out = c.read_until_closed(5s);
    CHECK(out.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(c.closed);
  }
  SUBCASE("a body at the limit is served") {
    httplib::Client cli{"127.0.0.1", s.port};
    auto res = cli.Post("/echo", std::string(1000, 'y'), "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.size() == 1000);
  }
}

TEST_CASE("malformed requests: 400 or 431, and the connection ends") {
  running_server s;
  for (std::string bad : {"GET /echo HTTP/2.0\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
                          "GET /echo HTTP/1.1\r\nno colon here\r\n\r\n",
                          "GET /echo HTTP/1.1\r\n folded: x\r\n\r\n",
                          "POST /echo HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
                          "POST /echo HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"}) {
    INFO(bad);
    raw_connection c{s.port};
    c.send_all(bad);
    auto out = c.read_until_closed(5s);
    CHECK((out.rfind("HTTP/1.1 400", 0) == 0 || out.rfind("HTTP/1.1 431", 0) == 0));
    CHECK(c.closed);
  }
}

TEST_CASE("HTTP/1.0 closes after its answer unless it asks to keep the connection") {
  running_server s;
  raw_connection c{s.port};
  c.send_all("GET /echo HTTP/1.0\r\n\r\n");
  auto out = c.read_until_closed(5s);
  CHECK(out.find("Connection: close\r\n") != std::string::npos);
  CHECK(c.closed);
  raw_connection kept{s.port};
  kept.send_all("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto first = kept.read_until_closed(500ms);
  CHECK(first.find("Connection: keep-alive\r\n") != std::string::npos);
  CHECK_FALSE(kept.closed);
}

TEST_CASE("a handler that throws is answered by the exception handler with 500") {
  running_server s;
  httplib::Client cli{"127.0.0.1", s.port};
  auto res = cli.Get("/throws");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->body == "caught");
  auto next = cli.Get("/echo"); // the server goes on
  REQUIRE(next);
  CHECK(next->status == 200);
}

TEST_CASE("a chunked content provider streams until done, on a kept connection") {
  running_server s;
  raw_connection c{s.port};
  c.send_all("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n"
             "Connection: close\r\n\r\n");
  auto out = c.read_until_closed(5s);
  CHECK(out.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(out.find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(out.find("9\r\ndata: 0\n\n\r\n9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n0\r\n\r\n"
                 "HTTP/1.1 200 OK") != std::string::npos);
  CHECK(c.closed);
}

TEST_CASE("a client gone mid-stream makes the provider's writes fail") {
  std::atomic<bool> write_failed{false};
  kb::http_server server{running_server::options(5, 1000)};
  server.Get("/endless", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& sink) {
      std::string piece(4096, 'z');
      std::this_thread::sleep_for(1ms);
      if (sink.write(piece.data(), piece.size()))
        return true;
      write_failed = true;
      return false;
    });
  });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  {
    raw_connection c{port};
    c.send_all("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[1024];
    REQUIRE(::recv(c.fd, buf, sizeof(buf), 0) > 0);
  }
  for (int i = 0; i < 500 && !write_failed; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(write_failed);
}

TEST_CASE("a handler that waits sees whether its client hung up") {
  std::atomic<int> seen{-1}; // -1 still waiting, 0 client there, 1 client gone
  std::atomic<bool> release{false};
  kb::http_server server{running_server::options(5, 1000)};
  server.Get("/wait", [&](const httplib::Request& req, httplib::Response& res) {
    // The client that stays asks with ?stay, and its handler answers once
    // released; the other one hangs up while its handler waits.
    bool stays = req.has_param("stay");
    for (int i = 0; i < 500 && !release && !kb::http_server::client_gone(); ++i)
      std::this_thread::sleep_for(10ms);
    if (!stays)
      seen = kb::http_server::client_gone() ? 1 : 0;
    res.set_content(kb::http_server::client_gone() ? "gone" : "here", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  CHECK_FALSE(kb::http_server::client_gone()); // not a handler's thread

  {
    raw_connection c{port};
    c.send_all("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(50ms);
  } // hangs up while the handler waits
  for (int i = 0; i < 500 && seen < 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(seen == 1);

  // A client that waits for its answer (and pipelines its next request)
  // is still there.
  raw_connection c{port};
  c.send_all("GET /wait?stay HTTP/1.1\r\nHost: x\r\n\r\nGET /wait?stay HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  release = true;
  auto answers = c.read_until_closed(5s);
  CHECK(answers.find("here") != std::string::npos);
  CHECK(answers.find("gone") == std::string::npos);
  CHECK(count_of(answers, "HTTP/1.1 200") == 2);
}

TEST_CASE("a chunked content provider that waits between writes sees its client hang up") {
  std::atomic<int> seen{-1}; // -1 still waiting, 0 client there, 1 client gone
  kb::http_server server{running_server::options(5, 1000)};
  server.Get("/events", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [&](size_t, httplib::DataSink& sink) {
      if (!sink.write("first\n", 6))
        return false;
      for (int i = 0; i < 500 && !kb::http_server::client_gone(); ++i)
        std::this_thread::sleep_for(10ms);
      seen = kb::http_server::client_gone() ? 1 : 0;
      return false;
    });
  });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  {
    raw_connection c{port};
    c.send_all("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(50ms);
  } // hangs up between two writes
  for (int i = 0; i < 500 && seen < 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(seen == 1);
}

TEST_CASE("stopping finishes the request in flight and refuses new connections") {
  kb::http_server_options o;
  o.threads = 4;
  kb::http_server server{o};
  std::atomic<bool> entered{false};
  server.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    entered = true;
    std::this_thread::sleep_for(300ms);
    res.set_content("finished", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread listening{[&] { server.listen_after_bind(); }};
  while (!server.is_running())
    std::this_thread::sleep_for(1ms);
  raw_connection c{port};
  c.send_all("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!entered)
    std::this_thread::sleep_for(1ms);
  server.stop();
  auto out = c.read_until_closed(5s);
  listening.join();
  CHECK(out.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(out.find("Connection: close\r\n") != std::string::npos);
  CHECK(out.substr(out.size() - 8) == "finished");
  CHECK(c.closed);
  CHECK_FALSE(server.is_running());
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0);
  ::close(probe);
}

TEST_CASE("a client silent mid-request for longer than the keep-alive timeout is still served") {
  running_server s{1}; // idle connections close after 1 s, reads wait 120 s
  raw_connection c{s.port};
  c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhe");
  std::this_thread::sleep_for(1500ms);
  c.send_all("llo");
  auto out = c.read_until_closed(5s);
  CHECK(out.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(out.substr(out.size() - 5) == "hello");
}
