// kb::socket_stream: coalesced writes, buffered reads.

#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "services/http/socket_stream.hpp"

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
