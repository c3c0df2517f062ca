// kb::http_server's bounds (issue 17 section 1, issue 18 item 2): idle
// connections hold no thread, a request beyond the thread pool or the
// connection limit gets 503 at once, request bodies share a budget, and
// the memory of large rejected bodies goes back to the system.

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "services/http/http_server.hpp"
#include "tests/support/serving.hpp"

using namespace std::chrono_literals;

namespace {

struct bounded_server {
  kb::http_server server;
  std::atomic<bool> release{false};
  std::atomic<int> blocked{0};
  int port = 0;
  std::optional<kb::test::serving<kb::http_server>> serving;

  explicit bounded_server(kb::http_server_options o) : server{o} {
    server.Get("/echo", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    server.Get("/block", [this](const httplib::Request&, httplib::Response& res) {
      ++blocked;
      while (!release)
        std::this_thread::sleep_for(5ms);
      res.set_content("released", "text/plain");
    });
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    serving.emplace(server);
  }
  ~bounded_server() { release = true; }
};

kb::http_server_options small(size_t threads) {
  kb::http_server_options o;
  o.threads = threads;
  o.keep_alive_timeout_s = 120;
  o.header_timeout_ms = 120000;
  o.read_timeout_s = 30;
  return o;
}

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
  raw_connection(const raw_connection&) = delete;
  bool send_all(const std::string& s) {
    size_t sent = 0;
    while (sent < s.size()) {
      auto n = ::send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  /// Bytes until `what` shows up, the peer closes or `timeout` passes.
  std::string read_until(const std::string& what, std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    while (out.find(what) == std::string::npos) {
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

const std::string get_echo = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";

size_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

TEST_CASE("a request is served while 600 idle connections are held by a 4-thread server") {
  bounded_server s{small(4)};
  std::vector<std::unique_ptr<raw_connection>> idle;
  for (int i = 0; i < 600; ++i) {
    idle.push_back(std::make_unique<raw_connection>(s.port));
    if (i % 2 == 0) { // half have been served and idle in keep-alive
      REQUIRE(idle.back()->send_all(get_echo));
      REQUIRE(idle.back()->read_until("\r\n\r\nok", 10s).find("200 OK") != std::string::npos);
    }
  }
  for (int i = 0; i < 1000 && s.server.open_connections() < 600; ++i)
    std::this_thread::sleep_for(5ms);
  CHECK(s.server.open_connections() == 600);
  raw_connection fresh{s.port};
  REQUIRE(fresh.send_all(get_echo));
  CHECK(fresh.read_until("\r\n\r\nok", 10s).find("HTTP/1.1 200 OK") == 0);
  // And an idle one still works.
  REQUIRE(idle[0]->send_all(get_echo));
  CHECK(idle[0]->read_until("\r\n\r\nok", 10s).find("HTTP/1.1 200 OK") == 0);
}

TEST_CASE("a request beyond the thread pool gets 503 and close at once, not a queue") {
  bounded_server s{small(2)};
  raw_connection a{s.port};
  raw_connection b{s.port};
  REQUIRE(a.send_all("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(b.send_all("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 1000 && s.blocked < 2; ++i)
    std::this_thread::sleep_for(5ms);
  REQUIRE(s.blocked == 2);
  raw_connection c{s.port};
  REQUIRE(c.send_all(get_echo));
  auto refused = c.read_until("\r\n\r\n", 10s);
  CHECK(refused.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(refused.find("\r\nConnection: close\r\n") != std::string::npos);
  s.release = true;
  CHECK(a.read_until("released", 10s).find("200 OK") != std::string::npos);
  raw_connection d{s.port};
  REQUIRE(d.send_all(get_echo));
  CHECK(d.read_until("\r\n\r\nok", 10s).rfind("HTTP/1.1 200 OK", 0) == 0);
}

TEST_CASE("a connection beyond maxConnections gets 503 and close") {
  auto o = small(4);
  o.max_connections = 3;
  bounded_server s{o};
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw_connection>(s.port));
    REQUIRE(held.back()->send_all(get_echo));
    REQUIRE(held.back()->read_until("\r\n\r\nok", 10s).find("200 OK") != std::string::npos);
  }
  raw_connection extra{s.port};
  extra.send_all(get_echo);
  auto out = extra.read_until("\r\n\r\n", 10s);
  CHECK(out.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(out.find("\r\nConnection: close\r\n") != std::string::npos);
  held.pop_back(); // one leaves: room for the next
  for (int i = 0; i < 200 && s.server.open_connections() > 2; ++i)
    std::this_thread::sleep_for(5ms);
  raw_connection next{s.port};
  REQUIRE(next.send_all(get_echo));
  CHECK(next.read_until("\r\n\r\nok", 10s).rfind("HTTP/1.1 200 OK", 0) == 0);
}

TEST_CASE("request bodies share a budget: beyond it 503 before the body is read") {
  auto o = small(4);
  o.max_body_bytes = 1 << 20;
  o.max_body_bytes_in_flight = 1 << 20;
  bounded_server s{o};
  raw_connection a{s.port};
  std::string head_a = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 800000\r\n\r\n";
  REQUIRE(a.send_all(head_a + std::string(1000, 'a'))); // and then it stalls
  for (int i = 0; i < 1000 && s.server.body_bytes_in_flight() == 0; ++i)
    std::this_thread::sleep_for(5ms);
  CHECK(s.server.body_bytes_in_flight() == 800000);
  raw_connection b{s.port};
  REQUIRE(b.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 400000\r\n"
                     "Expect: 100-continue\r\n\r\n"));
  auto refused = b.read_until("\r\n\r\n", 10s);
  CHECK(refused.rfind("HTTP/1.1 503 ", 0) == 0); // not 100 Continue
  REQUIRE(a.send_all(std::string(799000, 'a')));
  CHECK(a.read_until("800000", 10s).find("200 OK") != std::string::npos);
  for (int i = 0; i < 1000 && s.server.body_bytes_in_flight() > 0; ++i)
    std::this_thread::sleep_for(5ms); // released once the answer is written
  CHECK(s.server.body_bytes_in_flight() == 0);
  raw_connection c{s.port};
  REQUIRE(c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 400000\r\n\r\n" +
                     std::string(400000, 'c')));
  CHECK(c.read_until("400000", 10s).find("200 OK") != std::string::npos);
}

TEST_CASE("memory of a storm of rejected large uploads goes back: RSS within 10 % of its start") {
  auto o = small(16);
  o.max_body_bytes = 8u << 20;
  bounded_server s{o};
  auto upload = [&](size_t bytes) {
    raw_connection c{s.port};
    std::string chunk(64 * 1024, 'x');
    char size_line[32];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
    if (!c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
      return std::string{};
    for (size_t sent = 0; sent < bytes; sent += chunk.size())
      if (!c.send_all(size_line + chunk + "\r\n"))
        break; // refused mid-way: the answer is waiting
    c.send_all("0\r\n\r\n");
    return c.read_until("\r\n\r\n", 10s);
  };
  // Warm up every thread the storm will use, with bodies that are accepted.
  auto wave = [&](size_t bytes, int threads, int each, const char* expect) {
    std::vector<std::thread> clients;
    std::atomic<int> matched{0};
    for (int t = 0; t < threads; ++t)
      clients.emplace_back([&] {
        for (int i = 0; i < each; ++i)
          if (upload(bytes).find(expect) != std::string::npos)
            ++matched;
      });
    for (auto& c : clients)
      c.join();
    return matched.load();
  };
  CHECK(wave(64 * 1024, 8, 2, "200 OK") == 16);
  auto start = resident_bytes();
  // 48 uploads of 12 MB, 8 at a time, each refused at the 8 MB limit.
  CHECK(wave(12u << 20, 8, 6, "413") == 48);
  auto after = resident_bytes();
  MESSAGE("RSS " << start / 1024 << " KiB before, " << after / 1024 << " KiB after the storm");
  CHECK(after <= start + start / 10);
}
