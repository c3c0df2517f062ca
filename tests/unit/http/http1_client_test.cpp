// kb::http1_client: keep-alive exchanges with real servers (ours, httplib's
// TLS server) and with a raw socket peer that answers byte for byte.

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "services/http/call_cancel.hpp"
#include "services/http/http1_client.hpp"
#include "services/http/http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/serving.hpp"

namespace {

struct reply {
  int status = 0;
  std::string body;
  std::string error;
  int pieces = 0;
};

reply call(kb::http1_client& c, std::string_view method, std::string_view path,
           std::string_view body = {}, const kb::http_headers& headers = {}) {
  reply r;
  r.error = c.exchange(
    {method, path, &headers, "text/plain", body},
    [&](int status) {
      r.status = status;
      return true;
    },
    [&](const char* data, size_t len) {
      r.body.append(data, len);
      ++r.pieces;
      return true;
    });
  return r;
}

/// A TCP peer on 127.0.0.1 that, per connection, reads one request head
/// and answers with a fixed byte string, then closes (or keeps silent).
class raw_peer {
public:
  explicit raw_peer(std::string answer, bool answer_at_all = true)
    : answer_(std::move(answer)), answer_at_all_(answer_at_all) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(fd_, 4) == 0);
    thread_ = std::thread{[this] { serve(); }};
  }
  ~raw_peer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const {
    return port_;
  }
  /// The request heads received so far.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> g{m_};
    return requests_;
  }

private:
  void serve() {
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        return;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        auto n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0)
          break;
        got.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> g{m_};
        requests_.push_back(got);
      }
      if (answer_at_all_) {
        ::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
      } else {
        while (::recv(c, buf, sizeof(buf), 0) > 0) {
          // silent until the client gives up
        }
      }
      ::close(c);
    }
  }

  std::string answer_;
  bool answer_at_all_;
  int fd_ = -1;
  int port_ = 0;
  std::mutex m_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

/// GET /port answers with the client's port: which connection a request came on.
template <class Server>
void add_port_route(Server& server) {
  server.Get("/port", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(std::to_string(req.remote_port), "text/plain");
  });
}

kb::http1_client client_of(int port, kb::http_client_options opts = {}) {
  return kb::http1_client{"127.0.0.1", port, false, std::move(opts)};
}

} // namespace

TEST_CASE("plain exchanges with our server reuse one keep-alive connection") {
  kb::http_server server;
  std::mutex m;
  std::vector<std::string> seen;
  server.Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> g{m};
    seen.push_back(req.get_header_value("x-test") + " " + req.get_header_value("Content-Type") +
                   " " + req.get_header_value("Host"));
    res.set_content(req.body + "|" + std::to_string(req.remote_port), "text/plain");
  });
  server.Get("/empty", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  auto c = client_of(port);
  std::string first_port;
  for (int i = 0; i < 20; ++i) {
    auto r = call(c, "POST", "/echo", "ping " + std::to_string(i), {{"x-test", "yes"}});
    REQUIRE(r.error.empty());
    CHECK(r.status == 200);
    auto bar = r.body.find('|');
    REQUIRE(bar != std::string::npos);
    CHECK(r.body.substr(0, bar) == "ping " + std::to_string(i));
    if (i == 0)
      first_port = r.body.substr(bar + 1);
    CHECK(r.body.substr(bar + 1) == first_port); // one connection
    auto empty = call(c, "GET", "/empty");
    REQUIRE(empty.error.empty());
    CHECK(empty.status == 204);
    CHECK(empty.body.empty());
  }
  std::lock_guard<std::mutex> g{m};
  REQUIRE(seen.size() == 20);
  CHECK(seen[0] == "yes text/plain 127.0.0.1:" + std::to_string(port));
}

TEST_CASE("a chunked answer arrives in pieces, and a stop drops the connection") {
  kb::http_server server;
  server.Get("/chunks", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
      for (int i = 0; i < 50; ++i) {
        std::string piece(1000, static_cast<char>('a' + i % 26));
        sink.write(piece.data(), piece.size());
      }
      sink.done();
      return true;
    });
  });
  add_port_route(server);
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  auto c = client_of(port);
  auto r = call(c, "GET", "/chunks");
  REQUIRE(r.error.empty());
  CHECK(r.status == 200);
  REQUIRE(r.body.size() == 50000);
  CHECK(r.body.substr(49000) == std::string(1000, 'x'));
  CHECK(r.pieces >= 1);
  auto before = call(c, "GET", "/port").body;
  int seen = 0;
  kb::http_headers none;
  auto err = c.exchange({"GET", "/chunks", &none, {}, {}}, [](int) { return true; },
                        [&](const char*, size_t) { return ++seen < 2; });
  CHECK(err == "canceled");
  auto after = call(c, "GET", "/port");
  REQUIRE(after.error.empty());
  CHECK(after.body != before); // a new connection after the stop
}

TEST_CASE("TLS exchanges verify the server and keep one connection") {
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
    kb::http_client_options opts;
    opts.ca_file = tls->cert;
    kb::http1_client c{"127.0.0.1", port, true, opts};
    std::string first_port;
    for (int i = 0; i < 10; ++i) {
      // Alternate a body that leaves with its header block and a big one.
      std::string body = i % 2 ? std::string(100 * 1024, static_cast<char>('a' + i)) : "ping";
      auto r = call(c, "POST", "/echo", body);
      REQUIRE(r.error.empty());
      CHECK(r.status == 200);
      auto bar = r.body.rfind('|');
      REQUIRE(bar != std::string::npos);
      CHECK(r.body.substr(0, bar) == body);
      if (i == 0)
        first_port = r.body.substr(bar + 1);
      CHECK(r.body.substr(bar + 1) == first_port);
    }
  }
  {
    kb::http1_client untrusting{"127.0.0.1", port, true, {}}; // no CA for the self-signed cert
    auto r = call(untrusting, "POST", "/echo", "x");
    CHECK(r.status == 0);
    CHECK(r.error.find("certificate not trusted") != std::string::npos);
  }
  {
    kb::http_client_options opts;
    opts.ca_file = dir.file("missing.pem");
    kb::http1_client bad_ca{"127.0.0.1", port, true, opts};
    CHECK(call(bad_ca, "POST", "/echo", "x").error.find("cannot read the CA file") == 0);
  }
}

TEST_CASE("TLS clients share one context per CA file: the system CAs are loaded once") {
  // Each context holds the parsed system CAs (~0.8 MB); 60 clients with a
  // context each would grow the process by ~50 MB.
  kb::test::temp_dir dir;
  auto tls = kb::test::make_self_signed_cert(dir);
  REQUIRE(tls);
  httplib::SSLServer server{tls->cert.c_str(), tls->key.c_str()};
  // A thread per kept connection: with httplib's default 8, the 61 clients
  // wait for each other's keep-alive timeouts (~35 s).
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.Get("/ok", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  kb::test::serving running{server};
  kb::http_client_options opts;
  opts.ca_file = tls->cert;
  auto rss_kb = [] {
    std::ifstream status{"/proc/self/status"};
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmRSS:", 0) == 0)
        return std::stol(line.substr(6));
    return 0L;
  };
  std::vector<std::unique_ptr<kb::http1_client>> clients;
  clients.push_back(std::make_unique<kb::http1_client>("127.0.0.1", port, true, opts));
  REQUIRE(call(*clients.back(), "GET", "/ok").body == "ok");
  auto before = rss_kb();
  for (int i = 0; i < 60; ++i) {
    clients.push_back(std::make_unique<kb::http1_client>("127.0.0.1", port, true, opts));
    REQUIRE(call(*clients.back(), "GET", "/ok").body == "ok");
  }
  CHECK(rss_kb() - before < 15 * 1024);
}

TEST_CASE("a keep-alive connection the server closed while idle is replaced") {
  // Both servers close a connection that idled for 1 s; the TLS one sends
  // a close_notify first.
  kb::test::temp_dir dir;
  auto tls = kb::test::make_self_signed_cert(dir);
  REQUIRE(tls);
  kb::http_client_options with_ca;
  with_ca.ca_file = tls->cert;
  httplib::Server plain;
  httplib::SSLServer secure{tls->cert.c_str(), tls->key.c_str()};
  for (auto* server : {&plain, static_cast<httplib::Server*>(&secure)}) {
    server->set_keep_alive_timeout(1);
    add_port_route(*server);
    int port = server->bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    kb::test::serving running{*server};
    const bool tls_server = server == &secure;
    INFO((tls_server ? "TLS" : "plain"));
    kb::http1_client c{"127.0.0.1", port, tls_server, with_ca};
    auto first = call(c, "GET", "/port");
    REQUIRE(first.error.empty());
    auto again = call(c, "GET", "/port");
    CHECK(again.body == first.body); // kept while in use
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    auto later = call(c, "GET", "/port");
    REQUIRE(later.error.empty());
    CHECK(later.status == 200);
    CHECK(later.body != first.body);
  }
}

TEST_CASE("answers framed by the connection's end, with interim 1xx, or broken") {
  SUBCASE("no length: the body runs to the end of the connection") {
    raw_peer peer{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"};
    auto c = client_of(peer.port());
    auto r = call(c, "GET", "/");
    CHECK(r.error.empty());
    CHECK(r.status == 200);
    CHECK(r.body == "until the end");
  }
  SUBCASE("a 100 Continue before the answer is skipped") {
    raw_peer peer{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"};
    auto c = client_of(peer.port());
    auto r = call(c, "POST", "/", "x");
    CHECK(r.error.empty());
    CHECK(r.status == 201);
    CHECK(r.body == "ok");
  }
  SUBCASE("not HTTP") {
    raw_peer peer{"SSH-2.0-OpenSSH\r\n"};
    auto c = client_of(peer.port());
    auto r = call(c, "GET", "/");
    CHECK(r.error == "not an HTTP/1.x status line");
  }
  SUBCASE("a body cut short of its Content-Length") {
    raw_peer peer{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"};
    auto c = client_of(peer.port());
    auto r = call(c, "GET", "/");
    CHECK(r.status == 200);
    CHECK(r.body == "short");
    CHECK(r.error == "the connection closed mid-answer");
  }
  SUBCASE("an invalid chunk size") {
    raw_peer peer{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"};
    auto c = client_of(peer.port());
    CHECK(call(c, "GET", "/").error == "an invalid chunk size in the answer");
  }
  SUBCASE("conflicting Content-Length headers") {
    raw_peer peer{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"};
    auto c = client_of(peer.port());
    CHECK(call(c, "GET", "/").error == "an invalid Content-Length in the answer");
  }
  SUBCASE("chunk extensions and trailers are read past") {
    raw_peer peer{"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
                  "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n"};
    auto c = client_of(peer.port());
    auto r = call(c, "GET", "/");
    CHECK(r.error.empty());
    CHECK(r.body == "hello world");
  }
}

TEST_CASE("a silent server runs into the read timeout; a closed port is named") {
  {
    raw_peer peer{"", false};
    kb::http_client_options opts;
    opts.read_timeout_ms = 1000;
    auto c = client_of(peer.port(), opts);
    auto started = std::chrono::steady_clock::now();
    auto r = call(c, "GET", "/");
    CHECK(r.error == "no answer within the read timeout");
    // The timeout, not twice it (a recv timeout followed by a poll timeout).
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1900));
  }
  int closed_port;
  {
    raw_peer gone{""};
    closed_port = gone.port();
  }
  auto c = client_of(closed_port);
  auto r = call(c, "GET", "/");
  CHECK(r.error == "cannot connect to 127.0.0.1:" + std::to_string(closed_port) +
                     ": Connection refused");
}

TEST_CASE("a cancel from another thread ends an exchange waiting for its first byte") {
  raw_peer peer{"", false};
  kb::http_client_options opts;
  opts.read_timeout_ms = 60000;
  auto c = client_of(peer.port(), opts);
  kb::call_cancel cancel;
  std::string error;
  auto started = std::chrono::steady_clock::now();
  std::thread caller{[&] {
    kb::http_headers none;
    error = c.exchange({"GET", "/think", &none, {}, {}}, [](int) { return true; },
                       [](const char*, size_t) { return true; }, &cancel);
  }};
  for (int i = 0; i < 500 && peer.requests().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(peer.requests().size() == 1);
  cancel.cancel();
  caller.join();
  CHECK(error == "canceled");
  // Long before the read timeout: the cancel shut the socket down.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));

  // A call whose cancel came first sends nothing.
  kb::call_cancel early;
  early.cancel();
  kb::http_headers none;
  auto err = c.exchange({"GET", "/late", &none, {}, {}}, [](int) { return true; },
                        [](const char*, size_t) { return true; }, &early);
  CHECK(err == "canceled");
  CHECK(peer.requests().size() == 1);
}

TEST_CASE("a header with a line break is refused before anything is sent") {
  raw_peer peer{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"};
  auto c = client_of(peer.port());
  auto r = call(c, "GET", "/", {}, {{"x-evil", "a\r\nInjected: yes"}});
  CHECK(r.error == "a request header contains a line break or an invalid name");
  auto ok = call(c, "GET", "/", {}, {{"x-fine", "b"}});
  CHECK(ok.error.empty());
  auto heads = peer.requests();
  REQUIRE(heads.size() == 1);
  CHECK(heads[0].find("Injected") == std::string::npos);
  CHECK(heads[0].find("x-fine: b\r\n") != std::string::npos);
  CHECK(heads[0].rfind("GET / HTTP/1.1\r\nHost: 127.0.0.1:", 0) == 0);
}

TEST_CASE("an answer that could be framed two ways is a failed call, never a status") {
  struct bad_answer {
    const char* name;
    std::string bytes;
  };
  const std::string tail = "5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  std::vector<bad_answer> cases = {
    {"CL with TE", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" + tail},
    {"TE gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n" + tail},
    {"TE chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" + tail},
    {"repeated TE", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + tail},
    {"space before the colon", "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n" + tail},
    {"obs-fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello"},
    {"bare CR", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 5\r\n\r\nhello"},
    {"NUL in a value", std::string("HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 5\r\n\r\nhello", 53)},
    {"bad name", "HTTP/1.1 200 OK\r\nX(A): b\r\nContent-Length: 5\r\n\r\nhello"},
    {"CL list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello"},
    {"CL overflow", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nhello"},
    {"chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "10000000000000005\r\nhello\r\n0\r\n\r\n"},
    {"TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + tail},
    {"HTTP/1.9", "HTTP/1.9 200 OK\r\nContent-Length: 5\r\n\r\nhello"},
    {"control character in the reason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 5\r\n\r\nhello"},
    {"endless interim answers", [] {
       std::string s;
       for (int i = 0; i < 20; ++i)
         s += "HTTP/1.1 100 Continue\r\n\r\n";
       return s + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
     }()},
  };
  for (auto& bad : cases) {
    CAPTURE(bad.name);
    raw_peer peer{bad.bytes};
    auto c = client_of(peer.port());
    auto r = call(c, "GET", "/");
    CHECK(!r.error.empty());
    CHECK((r.status == 0 || bad.name == std::string{"chunk size overflow"}));
  }
}
