// Strict request framing (RFC 9112; issue 17 section 1, issue 18 item 8):
// every request whose end two parsers could disagree on is refused with 400
// (431 where it is really too large) and `Connection: close`, and nothing
// after it on the connection is ever served, least of all the smuggled
// `GET /v1/models/SMUGGLED` of the CL.TE / TE.CL / TE.TE classics.

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "services/http/http_server.hpp"
#include "tests/support/serving.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

const std::string smuggled = "GET /v1/models/SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n";

std::string hex(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%zx", n);
  return buf;
}

/// A server whose /v1/models/... route counts the requests it serves.
struct framing_server {
  kb::http_server server{options()};
  std::atomic<int> smuggled_hits{0};
  std::atomic<int> served{0};
  int port = 0;
  std::optional<kb::test::serving<kb::http_server>> serving;

  framing_server() {
    server.Get(R"(/v1/models/(.*))", [this](const httplib::Request&, httplib::Response& res) {
      ++smuggled_hits;
      res.set_content("model", "text/plain");
    });
    server.Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      ++served;
      res.set_content("body=" + req.body, "text/plain");
    });
    server.Get("/echo", [this](const httplib::Request&, httplib::Response& res) {
      ++served;
      res.set_content("ok", "text/plain");
    });
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    serving.emplace(server);
  }

  static kb::http_server_options options() {
    kb::http_server_options o;
    // Enough that a thread still finishing the previous case (reading what
    // a refused client sends until it closes) never makes the next one 503.
    o.threads = 16;
    o.read_timeout_s = 2;
    o.header_timeout_ms = 2000;
    return o;
  }
};

struct raw_connection {
  int fd = -1;
  bool closed = false;
  explicit raw_connection(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~raw_connection() { ::close(fd); }
  void send_all(const std::string& s) {
    REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
  }
  std::string read_until_closed(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0)
      out.append(buf, static_cast<size_t>(n));
    closed = n == 0 || (n < 0 && errno == ECONNRESET);
    return out;
  }
};

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

struct framing_case {
  const char* name;
  std::string bytes;
  int status; ///< the one answer, or 200 for requests that are fine
};

/// POST /echo with these header lines (each ending in CRLF) and this body.
std::string post(const std::string& fields, const std::string& body) {
  return "POST /echo HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n" + body;
}

std::vector<framing_case> refused_cases() {
  auto cl_te_body = "0\r\n\r\n" + smuggled;
  auto te_cl_body = hex(smuggled.size()) + "\r\n" + smuggled + "\r\n0\r\n\r\n";
  return {
    // The classics.
    {"CL.TE",
     post("Content-Length: " + std::to_string(cl_te_body.size()) +
            "\r\nTransfer-Encoding: chunked\r\n",
          cl_te_body),
     400},
    {"TE.CL", post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", te_cl_body), 400},
    {"TE.TE repeated field",
     post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", te_cl_body), 400},
    {"TE.TE space before colon",
     post("Content-Length: 4\r\nTransfer-Encoding : chunked\r\n", te_cl_body), 400},
    {"TE.TE xchunked", post("Content-Length: 4\r\nTransfer-Encoding: xchunked\r\n", te_cl_body),
     400},
    {"TE.TE list", post("Transfer-Encoding: chunked, identity\r\n", te_cl_body), 400},
    {"TE.TE chunked twice", post("Transfer-Encoding: chunked, chunked\r\n", te_cl_body), 400},
    {"TE.TE obs-fold", post("X-A: a\r\n Transfer-Encoding: chunked\r\n", te_cl_body), 400},
    {"TE.TE vertical tab", post("Transfer-Encoding:\x0b" "chunked\r\n", te_cl_body), 400},
    // Transfer codings we do not decode.
    {"TE gzip without chunked", post("Transfer-Encoding: gzip\r\n", smuggled), 400},
    {"TE in HTTP/1.0",
     "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + te_cl_body, 400},
    // Content-Length.
    {"CL space before colon", post("Content-Length : " + std::to_string(smuggled.size()) + "\r\n",
                                   smuggled),
     400},
    {"CL differing", post("Content-Length: 3\r\nContent-Length: 4\r\n", "abc" + smuggled), 400},
    {"CL list", post("Content-Length: 3, 3\r\n", "abc" + smuggled), 400},
    {"CL plus sign", post("Content-Length: +3\r\n", "abc" + smuggled), 400},
    {"CL negative", post("Content-Length: -1\r\n", smuggled), 400},
    {"CL hex", post("Content-Length: 0x3\r\n", "abc" + smuggled), 400},
    {"CL overflow", post("Content-Length: 99999999999999999999999\r\n", smuggled), 400},
    {"CL empty", post("Content-Length: \r\n", smuggled), 400},
    // Chunk sizes.
    {"chunk size overflow", post("Transfer-Encoding: chunked\r\n",
                                 "10000000000000003\r\nabc\r\n0\r\n\r\n" + smuggled),
     400},
    {"chunk size negative", post("Transfer-Encoding: chunked\r\n", "-3\r\nabc\r\n0\r\n\r\n"), 400},
    {"chunk size 0x prefix", post("Transfer-Encoding: chunked\r\n", "0x3\r\nabc\r\n0\r\n\r\n"),
     400},
    {"chunk size leading space", post("Transfer-Encoding: chunked\r\n", " 3\r\nabc\r\n0\r\n\r\n"),
     400},
    {"chunk longer than its size", post("Transfer-Encoding: chunked\r\n",
                                        "3\r\nabcdef\r\n0\r\n\r\n" + smuggled),
     400},
    {"bare CR in a chunk line", post("Transfer-Encoding: chunked\r\n", "3\rX\r\nabc\r\n0\r\n\r\n"),
     400},
    // Header syntax.
    {"obs-fold", post("X-A: a\r\n b\r\n", ""), 400},
    {"bare CR in a value", post("X-A: a\rb\r\n", ""), 400},
    {"NUL in a value", post("X-A: a\0b\r\n"s, ""), 400},
    {"control character in a value", post("X-A: a\x01" "b\r\n", ""), 400},
    {"DEL in a value", post("X-A: a\x7f" "b\r\n", ""), 400},
    {"space in a name", post("X A: b\r\n", ""), 400},
    {"parenthesis in a name", post("X(A): b\r\n", ""), 400},
    {"NUL in a name", post("X\0A: b\r\n"s, ""), 400},
    {"empty name", post(": b\r\n", ""), 400},
    {"no colon", post("X-A b\r\n", ""), 400},
    {"missing Host", "GET /echo HTTP/1.1\r\n\r\n" + smuggled, 400},
    {"duplicated Host", "GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + smuggled, 400},
    // Request line.
    {"garbage method", "G@T /echo HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled, 400},
    {"binary garbage (a TLS hello)", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, 400},
    {"NUL in the target", "GET /ec\0ho HTTP/1.1\r\nHost: x\r\n\r\n"s + smuggled, 400},
    {"control character in the target", "GET /ec\x01ho HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled,
     400},
    {"space in the target", "GET /ec ho HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled, 400},
    {"bare CR in the request line", "GET /echo\rX HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled, 400},
    {"target not a path", "GET echo HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled, 400},
    {"HTTP/2.0", "GET /echo HTTP/2.0\r\nHost: x\r\n\r\n" + smuggled, 400},
    {"lower-case version", "GET /echo http/1.1\r\nHost: x\r\n\r\n" + smuggled, 400},
    // Size: 431 only for what is really too large.
    {"a 70 KB header line", post("X-A: " + std::string(70000, 'a') + "\r\n", ""), 431},
    {"a 100 KB header block",
     post("X-A: " + std::string(40000, 'a') + "\r\nX-B: " + std::string(40000, 'b') +
            "\r\nX-C: " + std::string(30000, 'c') + "\r\n",
          ""),
     431},
  };
}

} // namespace

TEST_CASE("requests that could be framed two ways get one answer, Connection: close, "
          "and nothing after them is served") {
  framing_server s;
  for (auto& c : refused_cases()) {
    std::string name = c.name;
    CAPTURE(name);
    raw_connection conn{s.port};
    // A request that follows on the connection must never be served
    // either: the framing of what is left cannot be trusted.
    conn.send_all(c.bytes + "GET /v1/models/AFTER HTTP/1.1\r\nHost: x\r\n\r\n");
    auto out = conn.read_until_closed(5s);
    CHECK(out.rfind("HTTP/1.1 " + std::to_string(c.status) + " ", 0) == 0);
    CHECK(count_of(out, "HTTP/1.1 ") == 1);
    CHECK(out.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(conn.closed);
  }
  CHECK(s.smuggled_hits == 0);
  CHECK(s.served == 0);
}

TEST_CASE("well-framed requests around the edges of the rules are served, and the next "
          "request on the connection is framed right") {
  framing_server s;
  std::vector<framing_case> fine = {
    {"chunked", post("Transfer-Encoding: chunked\r\n", "3\r\nabc\r\n0\r\n\r\n"), 200},
    {"chunked in any case", post("Transfer-Encoding: CHUNKED\r\n", "3\r\nabc\r\n0\r\n\r\n"), 200},
    {"chunk extensions and trailers",
     post("Transfer-Encoding: chunked\r\n", "3 ;a=b\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"), 200},
    {"identical Content-Lengths", post("Content-Length: 3\r\nContent-Length: 3\r\n", "abc"), 200},
    {"tab as whitespace", post("Content-Length:\t3\t\r\n", "abc"), 200},
    {"obs-text in a value", post("X-A: caf\xc3\xa9\r\n", ""), 200},
    {"lone LF line ends", "POST /echo HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc", 200},
    {"empty lines before the request", "\r\n\r\n" + post("Content-Length: 3\r\n", "abc"), 200},
    {"HTTP/1.0 without Host", "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\n"
                              "Content-Length: 3\r\n\r\nabc",
     200},
  };
  for (auto& c : fine) {
    std::string name = c.name;
    CAPTURE(name);
    int before = s.served;
    raw_connection conn{s.port};
    conn.send_all(c.bytes + "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto out = conn.read_until_closed(5s);
    CHECK(count_of(out, "HTTP/1.1 200 OK") == 2);
    CHECK(out.find("body=" + std::string(c.bytes.find("abc") != std::string::npos ? "abc" : "")) !=
          std::string::npos);
    CHECK(conn.closed);
    CHECK(s.served == before + 2);
  }
  CHECK(s.smuggled_hits == 0);
}

TEST_CASE("Connection: close wins over keep-alive, in either order and either field") {
  framing_server s;
  for (std::string fields : {"Connection: close\r\nConnection: keep-alive\r\n",
                             "Connection: keep-alive\r\nConnection: close\r\n",
                             "Connection: keep-alive, close\r\n"}) {
    CAPTURE(fields);
    raw_connection conn{s.port};
    conn.send_all("GET /echo HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n" + smuggled);
    auto out = conn.read_until_closed(5s);
    CHECK(count_of(out, "HTTP/1.1 200 OK") == 1);
    CHECK(out.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(conn.closed);
  }
  CHECK(s.smuggled_hits == 0);
}

TEST_CASE("a body announced and never sent gets 408 after the read timeout") {
  framing_server s; // read timeout 2 s
  raw_connection conn{s.port};
  conn.send_all(post("Content-Length: 10\r\n", "abc"));
  auto out = conn.read_until_closed(10s);
  CHECK(out.rfind("HTTP/1.1 408 ", 0) == 0);
  CHECK(out.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(conn.closed);
  CHECK(s.served == 0);
}

TEST_CASE("a header block not finished within the header deadline gets 408") {
  framing_server s; // header deadline 2 s
  raw_connection conn{s.port};
  conn.send_all("GET /echo HTTP/1.1\r\nHost: x\r\n");
  // Trickled bytes do not extend the deadline (slowloris).
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(500ms);
    conn.send_all("X-Slow: " + std::to_string(i) + "\r\n");
  }
  auto out = conn.read_until_closed(10s);
  CHECK(out.rfind("HTTP/1.1 408 ", 0) == 0);
  CHECK(conn.closed);
  CHECK(s.served == 0);
}
