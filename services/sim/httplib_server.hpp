#pragma once

// kiro-sim listens with httplib's servers (plain and TLS): httplib parses,
// routes and answers. Our daemons use kb::http_server instead
// (services/http), which kiro-sim does not: it also serves TLS, and its
// handlers use httplib's error-handler protocol.

#include <sys/socket.h>

#include <httplib.h>

namespace kb::sim {

/// httplib listens with a backlog of 5, so a burst of new connections waits
/// in SYN retries: after binding, listen again with the system maximum.
template <class Base>
class wide_backlog : public Base {
public:
  using Base::Base;
  void widen_backlog() { ::listen(this->svr_sock_, SOMAXCONN); }
};

/// httplib's Server with its own keep-alive loop. httplib 0.11 waits for a
/// connection's next request by polling every 10 ms and sleeping 1 ms in
/// between: each idle keep-alive connection wakes its thread ~90 times a
/// second (1,000 idle clients burn ~1.8 cores). Here an idle connection
/// sleeps in poll until its next request, waking only a few times a second
/// to notice a stopping server; reads and writes try the socket before
/// polling it, and the peer's address is looked up once per connection.
class plain_server : public wide_backlog<httplib::Server> {
private:
  bool process_and_close_socket(socket_t sock) override;
};

} // namespace kb::sim
