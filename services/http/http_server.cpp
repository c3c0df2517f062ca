#include "services/http/http_server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <thread>
#include <unordered_map>

#include "services/http/http1_reader.hpp"
#include "services/http/socket_stream.hpp"
#include "shared/common/ascii.hpp"

namespace kb {

namespace {

/// The client socket of the request this thread's handler is serving.
thread_local int serving_socket = -1;

bool has_regex_syntax(const std::string& pattern) {
  return pattern.find_first_of("()[]{}*+?^$|\\") != std::string::npos;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Overloaded";
    default: return status < 400 ? "OK" : "Error";
  }
}

void append_number(std::string& out, uint64_t n, int base = 10) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n, base);
  out.append(digits, end);
}

bool has_body(int status) {
  return status >= 200 && status != 204 && status != 304;
}

void set_timeout(int fd, int option, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = ascii_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/// %XX escapes decoded (a malformed one stays as it is); in a query, `+`
/// is a space too.
std::string percent_decoded(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0;
    int lo = 0;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hex_value(s[i + 1])) >= 0 &&
        (lo = hex_value(s[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

/// "a=1&b&c=x%20y" into name → value pairs (decoded).
void parse_query(std::string_view q, httplib::Params& params) {
  while (!q.empty()) {
    auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      params.emplace(percent_decoded(pair.substr(0, eq), true),
                     eq == std::string_view::npos ? std::string{}
                                                  : percent_decoded(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos)
      break;
    q.remove_prefix(amp + 1);
  }
}

/// Splits the request target into path (percent-decoded) and query
/// parameters. An absolute-form target ("http://host/path", RFC 9112
/// 3.2.2) is served by its path.
void split_target(httplib::Request& req) {
  std::string_view target = req.target;
  if (target.front() != '/' && target != "*") {
    auto authority = target.find("://") + 3;
    auto slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view{"/"} : target.substr(slash);
  }
  auto query = target.find('?');
  auto path = target.substr(0, query);
  req.path = path.find('%') == std::string_view::npos ? std::string{path}
                                                       : percent_decoded(path, false);
  if (query != std::string_view::npos)
    parse_query(target.substr(query + 1), req.params);
}

/// RFC 9112 3.2: origin-form, asterisk-form or absolute-form, visible
/// ASCII only (no controls, spaces or NUL).
bool is_request_target(std::string_view t) {
  if (t.empty() || !std::all_of(t.begin(), t.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    return false;
  if (t.front() == '/' || t == "*")
    return true;
  auto scheme = t.substr(0, t.find("://"));
  return scheme.size() < t.size() && (equals_ci(scheme, "http") || equals_ci(scheme, "https"));
}

/// "GET /path HTTP/1.1" into the request: 0, or the status to refuse it
/// with.
int parse_request_line(std::string_view line, httplib::Request& req, int& minor_version) {
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1)
    return 400;
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (!is_http_token(method) || !is_request_target(target))
    return 400;
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return 400; // HTTP/2's preface ("PRI * HTTP/2.0") included
  req.method.assign(method);
  req.target.assign(target);
  req.version.assign(version);
  minor_version = version.back() - '0';
  return 0;
}

/// Whether buffered bytes can still be the start of a request: after
/// optional empty lines, a method of token characters (a TLS handshake or
/// other garbage is refused at once, not waited on).
bool could_start_request(std::string_view b) {
  while (!b.empty() && (b.front() == '\r' || b.front() == '\n'))
    b.remove_prefix(1);
  auto sp = b.find(' ');
  auto method = b.substr(0, std::min<size_t>(sp, 32));
  if (sp == 0 || (sp == std::string_view::npos && b.size() > 32))
    return false;
  return method.empty() || is_http_token(method);
}

/// Whether the buffered bytes hold a whole header block.
bool has_header_end(std::string_view b) {
  return b.find("\n\r\n") != std::string_view::npos || b.find("\n\n") != std::string_view::npos;
}

/// Status for a header block that failed to read, -1 for no answer.
int status_for(const http1_reader& r) {
  switch (r.fault) {
    case http1_fault::too_large: return 431;
    case http1_fault::timed_out: return 408;
    case http1_fault::closed:
    case http1_fault::failed: return -1;
    default: return 400;
  }
}

/// Blocks of this size or more get their own mapping, returned at free.
constexpr size_t mmap_threshold_bytes = 1u << 20;
/// After a body this large, what the heap kept while it grew is trimmed.
constexpr size_t trim_after_body_bytes = 4u << 20;

/// glibc raises its mmap threshold to the largest block freed (up to
/// 32 MB), after which large bodies come from per-thread arenas and their
/// memory is kept forever (~90 rejected 40 MB uploads held 945 MB, issue
/// 18). A fixed threshold keeps every large body in its own mapping,
/// returned at free; fewer arenas bound what small allocations keep.
void tune_malloc_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold_bytes));
    ::mallopt(M_ARENA_MAX, 4);
  });
}

using steady = std::chrono::steady_clock;

steady::time_point after_ms(long long ms) {
  return steady::now() + std::chrono::milliseconds(ms);
}

} // namespace

/// One accepted connection. Between requests the event loop watches it;
/// while a request is served a pooled thread owns it.
class http_server::connection {
public:
  connection(http_server& server, int sock)
    : server_(server),
      sock_(sock),
      stream_(sock, server.opts_.read_timeout_s * 1000, server.opts_.write_timeout_s * 1000) {
    // nop
  }

  int socket() const { return sock_.fd; }
  socket_stream& stream() { return stream_; }

  /// Where the event loop has it.
  enum class phase { head, busy, refusing };
  phase state = phase::head;
  /// When the loop gives up on it: the header deadline, the end of the
  /// keep-alive time, or the end of a refusal's drain.
  steady::time_point deadline;
  /// The first bytes of the next request arrived.
  bool started = false;
  /// Counted in open_count_ (refused connections are not).
  bool counted = false;

  /// Serves requests while they come, on a pooled thread; false when the
  /// connection must close.
  bool serve_ready() {
    if (!remote_known_) {
      stream_.get_remote_ip_and_port(remote_.ip, remote_.port);
      stream_.get_local_ip_and_port(local_.ip, local_.port);
      remote_known_ = true;
    }
    while (true) {
      stream_.set_deadline(deadline);
      bool keep = serve_one();
      stream_.clear_deadline();
      if (!stream_.flush() || !keep) {
        if (unread_input_)
          discard_unread_input();
        return false;
      }
      if (server_.stopping())
        return false;
      if (!stream_.has_buffered_input())
        return true; // quiet: back to the loop
      deadline = after_ms(server_.opts_.header_timeout_ms); // a pipelined request
    }
  }

private:
  /// Serves one request; false when the connection must end after it.
  bool serve_one() {
    // The handler, and a content provider writing its answer, may ask
    // client_gone().
    struct serving_guard {
      explicit serving_guard(int sock) { serving_socket = sock; }
      ~serving_guard() { serving_socket = -1; }
    } serving{sock_.fd};
    size_t body_size = 0;
    bool keep = false;
    {
      httplib::Request req;
      httplib::Response res;
      http1_reader reader{stream_, "request"};
      body_claim claim{server_};
      int status = read_request(reader, req, claim);
      if (status == -1)
        return false; // the peer left before a whole request
      keep = !reader.close_after;
      if (status > 0) {
        // A request we could not read whole, or do not trust to frame:
        // answer, then end the connection.
        res.status = status;
        keep = false;
        unread_input_ = true;
      } else {
        dispatch(req, res);
      }
      if (res.status >= 400 && res.body.empty() && !res.content_provider_ &&
          server_.error_handler_)
        server_.error_handler_(req, res);
      keep = keep && !server_.stopping(); // a stopping server lets its clients know
      keep = write_response(req, res, keep) && keep;
      body_size = req.body.capacity();
    }
    if (body_size >= trim_after_body_bytes)
      ::malloc_trim(0); // what the freed body left in the heap goes back too
    return keep;
  }

  /// Bytes of the server's body budget held for one request.
  struct body_claim {
    explicit body_claim(http_server& s) : server(s) {}
    ~body_claim() { server.release_body_bytes(held); }
    bool grow_to(size_t bytes) {
      if (bytes <= held)
        return true;
      if (!server.claim_body_bytes(bytes - held))
        return false;
      held = bytes;
      return true;
    }
    http_server& server;
    size_t held = 0;
  };

  /// 0 when the request was read whole, -1 when the connection ended
  /// without one, else the error status to answer with.
  int read_request(http1_reader& reader, httplib::Request& req, body_claim& claim) {
    std::string_view line;
    int minor_version = 1;
    // Empty lines before a request are ignored (RFC 9112 2.2).
    for (int blank = 0; blank < 8; ++blank) {
      if (!reader.read_line(line))
        return reader.fault == http1_fault::too_large ? 414 : status_for(reader);
      if (!line.empty())
        break;
    }
    if (int refused = parse_request_line(line, req, minor_version); refused != 0) {
      reader.close_after = true;
      return refused;
    }
    req.remote_addr = remote_.ip;
    req.remote_port = remote_.port;
    req.local_addr = local_.ip;
    req.local_port = local_.port;
    int hosts = 0;
    bool fields_ok = reader.read_fields(minor_version, [&](std::string_view name,
                                                           std::string_view value) {
      hosts += equals_ci(name, "host") ? 1 : 0;
      req.headers.emplace(std::string{name}, std::string{value});
    });
    if (!fields_ok)
      return status_for(reader);
    stream_.clear_deadline(); // the header block is in; the body has the read timeout
    // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in 1.0.
    if (hosts > 1 || (hosts == 0 && minor_version == 1))
      return 400;
    split_target(req);
    auto framing = reader.body_framing(true, false);
    if (framing == http1_reader::framing::none)
      return 0;
    auto limit = server_.opts_.max_body_bytes;
    if (reader.content_length() && *reader.content_length() > limit)
      return 413;
    if (reader.content_length() && !claim.grow_to(static_cast<size_t>(*reader.content_length())))
      return 503;
    if (auto expect = req.headers.find("Expect");
        expect != req.headers.end() && equals_ci(expect->second, "100-continue")) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      if (stream_.write(go_on.data(), go_on.size()) < 0 || !stream_.flush())
        return -1;
    }
    if (reader.content_length())
      req.body.reserve(static_cast<size_t>(*reader.content_length()));
    int refused = 0;
    bool aborted = false;
    bool ok = reader.read_body(
      framing,
      [&](const char* data, size_t n) {
        auto size = req.body.size() + n;
        if (size > limit)
          refused = 413;
        else if (size > claim.held && // chunked: claimed as it grows
                 !claim.grow_to(std::max(size, std::min(limit, 2 * claim.held + 65536))))
          refused = 503;
        if (refused != 0)
          return false;
        req.body.append(data, n);
        return true;
      },
      aborted);
    if (refused != 0)
      return refused;
    if (!ok)
      return status_for(reader);
    return 0;
  }

  void dispatch(httplib::Request& req, httplib::Response& res) {
    auto* r = server_.find_route(req.method == "HEAD" ? std::string{"GET"} : req.method, req);
    if (!r) {
      res.status = 404;
      return;
    }
    try {
      r->serve(req, res);
    } catch (...) {
      res.status = 500;
      res.body.clear();
      res.content_provider_ = nullptr;
      if (server_.exception_handler_)
        server_.exception_handler_(req, res, std::current_exception());
    }
  }

  bool write_response(const httplib::Request& req, httplib::Response& res, bool keep) {
    if (res.status == -1) // a handler that left it unset answered 200
      res.status = 200;
    auto& head = head_;
    head.clear();
    head.append("HTTP/1.1 ");
    append_number(head, static_cast<uint64_t>(res.status));
    head.append(" ").append(reason_phrase(res.status)).append("\r\n");
    bool has_connection = false;
    for (auto& [name, value] : res.headers) {
      has_connection = has_connection || equals_ci(name, "connection");
      head.append(name).append(": ").append(value).append("\r\n");
    }
    if (!has_connection)
      head.append(keep ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    bool body_allowed = has_body(res.status);
    bool head_only = req.method == "HEAD" || !body_allowed;
    bool chunked = res.content_provider_ && res.is_chunked_content_provider_;
    if (!body_allowed) {
      // no framing fields
    } else if (chunked) {
      head.append("Transfer-Encoding: chunked\r\n");
    } else {
      head.append("Content-Length: ");
      append_number(head, res.content_provider_ ? res.content_length_ : res.body.size());
      head.append("\r\n");
    }
    head.append("\r\n");
    if (stream_.write(head.data(), head.size()) < 0)
      return false;
    if (head_only)
      return true;
    if (res.content_provider_)
      return write_provided(res, chunked);
    return res.body.empty() || stream_.write(res.body.data(), res.body.size()) >= 0;
  }

  /// Runs the handler's content provider until it is done; false when
  /// it gave up or the client went away (the connection then ends).
  bool write_provided(httplib::Response& res, bool chunked) {
    bool ok = true;
    bool done = false;
    size_t offset = 0;
    httplib::DataSink sink;
    std::string chunk;
    sink.write = [&](const char* data, size_t n) {
      if (!ok)
        return false;
      if (n == 0)
        return true;
      if (chunked) {
        chunk.clear();
        append_number(chunk, n, 16);
        chunk.append("\r\n").append(data, n).append("\r\n");
        ok = stream_.write(chunk.data(), chunk.size()) >= 0;
      } else {
        ok = stream_.write(data, n) >= 0;
      }
      offset += n;
      return ok;
    };
    sink.done = [&] {
      if (done)
        return;
      done = true;
      if (chunked)
        ok = ok && stream_.write("0\r\n\r\n", 5) >= 0;
    };
    sink.is_writable = [&] { return ok && stream_.is_writable(); };
    while (ok && !done && (chunked || offset < res.content_length_))
      if (!res.content_provider_(offset, chunked ? 0 : res.content_length_ - offset, sink))
        ok = false;
    res.content_provider_success_ = ok;
    return ok && stream_.flush();
  }

  /// Closing a socket with unread bytes sends a reset, and a client still
  /// sending its body (an oversized upload) would see that instead of our
  /// answer. So, as web servers do, stop writing and read what it sends,
  /// for a bounded time, before closing.
  void discard_unread_input() {
    int sock = sock_.fd;
    ::shutdown(sock, SHUT_WR);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::array<char, 16384> scratch;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left <= 0 || !wait_for(sock, POLLIN, static_cast<int>(left)) ||
          ::recv(sock, scratch.data(), scratch.size(), MSG_DONTWAIT) <= 0)
        return;
    }
  }

  struct owned_fd {
    int fd;
    ~owned_fd() { ::close(fd); }
  };

  http_server& server_;
  owned_fd sock_; ///< closed after stream_ flushed what it holds
  bool unread_input_ = false; ///< a request was answered before it was read whole
  bool remote_known_ = false;
  socket_stream stream_;
  socket_stream::endpoint remote_;
  socket_stream::endpoint local_;
  std::string head_;
};

/// The listening socket and every connection not being served, in one
/// epoll set on the thread that runs listen_after_bind; and the pool of
/// threads that serve connections whose header block is in.
class http_server::event_loop {
public:
  event_loop(http_server& server, int listen_sock)
    : server_(server), listen_(listen_sock) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_, &ev);
    ev.data.ptr = &wake_fd_;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  }

  ~event_loop() {
    ::close(epfd_);
    ::close(wake_fd_);
  }

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
  }

  /// Until stop() and every connection is done.
  void run() {
    std::array<epoll_event, 64> events;
    auto next_sweep = steady::now();
    while (true) {
      if (server_.stopping() && listen_ >= 0)
        stop_listening();
      if (listen_ < 0 && busy_ == 0 && conns_.empty())
        break;
      int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), tick_ms);
      for (int i = 0; i < n; ++i) {
        auto* ptr = events[i].data.ptr;
        if (ptr == nullptr) {
          accept_all();
        } else if (ptr == &wake_fd_) {
          uint64_t count;
          [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof(count));
        } else {
          on_event(static_cast<connection*>(ptr));
        }
      }
      take_returns();
      if (auto now = steady::now(); now >= next_sweep) {
        sweep(now);
        next_sweep = now + std::chrono::milliseconds(tick_ms);
      }
    }
    {
      std::lock_guard<std::mutex> guard{mutex_};
      shutting_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

private:
  static constexpr int tick_ms = 100;
  /// How long a refused connection's input is read and dropped.
  static constexpr int refusal_drain_ms = 2000;

  void stop_listening() {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, listen_, nullptr);
    if (auto s = server_.listen_sock_.exchange(-1); s >= 0)
      ::close(s); // new connections are refused from here on
    listen_ = -1;
    std::vector<connection*> idle;
    for (auto& [c, owned] : conns_)
      if (c->state != connection::phase::busy)
        idle.push_back(c);
    for (auto* c : idle)
      close(c);
  }

  void accept_all() {
    while (listen_ >= 0) {
      int sock = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (sock < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        if (errno == EMFILE || errno == ENFILE) // out of descriptors: let some close
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return;
      }
      auto owned = std::make_unique<connection>(server_, sock);
      auto* c = owned.get();
      conns_.emplace(c, std::move(owned));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLONESHOT;
      ev.data.ptr = c;
      ::epoll_ctl(epfd_, EPOLL_CTL_ADD, sock, &ev);
      if (server_.open_count_.load() >= server_.opts_.max_connections) {
        refuse(c, 503);
        continue;
      }
      c->counted = true;
      ++server_.open_count_;
      int yes = 1;
      ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
      set_timeout(sock, SO_RCVTIMEO, server_.opts_.read_timeout_s);
      set_timeout(sock, SO_SNDTIMEO, server_.opts_.write_timeout_s);
      c->deadline = after_ms(server_.opts_.header_timeout_ms);
      c->started = true; // the header deadline runs from the connection's start
    }
  }

  void arm(connection* c) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.ptr = c;
    ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c->socket(), &ev);
  }

  void close(connection* c) {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->socket(), nullptr);
    if (c->counted)
      --server_.open_count_;
    conns_.erase(c);
  }

  void on_event(connection* c) {
    if (c->state == connection::phase::refusing) {
      std::array<char, 16384> scratch;
      ssize_t n;
      while ((n = ::recv(c->socket(), scratch.data(), scratch.size(), MSG_DONTWAIT)) > 0) {
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        arm(c);
      else
        close(c);
      return;
    }
    bool got = false;
    ssize_t n;
    while ((n = c->stream().fill_now()) > 0)
      got = true;
    bool ended = n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK);
    auto buffered = c->stream().buffered();
    if (got && !c->started) {
      c->started = true;
      c->deadline = after_ms(server_.opts_.header_timeout_ms);
    }
    if (buffered.empty() && ended) {
      close(c);
    } else if (!could_start_request(buffered)) {
      refuse(c, 400);
    } else if (n == -2 || has_header_end(buffered)) {
      dispatch(c);
    } else if (ended) {
      close(c); // left mid-header: nobody to answer
    } else {
      arm(c);
    }
  }

  /// To a pooled thread, or 503 when every one is busy: an invisible
  /// queue would hold the request for as long as the slowest stream, and
  /// the client can retry elsewhere or later.
  void dispatch(connection* c) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      bool free_thread = threads_.size() > running_ + queue_.size();
      if (free_thread || threads_.size() < std::max<size_t>(1, server_.opts_.threads)) {
        if (!free_thread)
          threads_.emplace_back([this] { work(); });
        queue_.push_back(c);
        c->state = connection::phase::busy;
        ++busy_;
        cv_.notify_one();
        return;
      }
    }
    refuse(c, 503);
  }

  /// A whole answer with `Connection: close`, then the connection's input
  /// is read and dropped for a while (closing with unread input would
  /// reset the answer away).
  void refuse(connection* c, int status) {
    auto answer = server_.refusal(status);
    [[maybe_unused]] auto sent =
      ::send(c->socket(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(c->socket(), SHUT_WR);
    c->state = connection::phase::refusing;
    c->deadline = after_ms(refusal_drain_ms);
    arm(c);
  }

  void sweep(steady::time_point now) {
    std::vector<connection*> due;
    for (auto& [c, owned] : conns_)
      if (c->state != connection::phase::busy && c->deadline <= now)
        due.push_back(c);
    for (auto* c : due) {
      if (c->state == connection::phase::head && !c->stream().buffered().empty())
        refuse(c, 408); // a header block begun and not finished in time
      else
        close(c);
    }
  }

  void take_returns() {
    std::vector<std::pair<connection*, bool>> back;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      back.swap(returned_);
    }
    for (auto [c, keep] : back) {
      --busy_;
      if (!keep || server_.stopping()) {
        close(c);
        continue;
      }
      c->state = connection::phase::head;
      c->started = false;
      c->deadline = after_ms(server_.opts_.keep_alive_timeout_s * 1000LL);
      arm(c);
    }
  }

  void work() {
    std::unique_lock<std::mutex> lock{mutex_};
    while (true) {
      cv_.wait(lock, [&] { return shutting_ || !queue_.empty(); });
      if (queue_.empty())
        return;
      auto* c = queue_.front();
      queue_.pop_front();
      ++running_;
      lock.unlock();
      bool keep = c->serve_ready();
      lock.lock();
      --running_;
      returned_.emplace_back(c, keep);
      wake();
    }
  }

  http_server& server_;
  int listen_;
  int epfd_ = -1;
  int wake_fd_ = -1;
  std::unordered_map<connection*, std::unique_ptr<connection>> conns_;
  size_t busy_ = 0; ///< connections with a pooled thread (loop thread only)
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<connection*> queue_;
  std::vector<std::pair<connection*, bool>> returned_;
  std::vector<std::thread> threads_;
  size_t running_ = 0;
  bool shutting_ = false;
};

http_server::http_server(http_server_options opts) : opts_(std::move(opts)) {
  // nop
}

http_server::~http_server() {
  stop();
  if (auto s = listen_sock_.exchange(-1); s >= 0)
    ::close(s);
}

http_server& http_server::add(const char* method, const std::string& pattern, handler h) {
  route r;
  r.method = method;
  if (has_regex_syntax(pattern))
    r.pattern = std::make_unique<std::regex>(pattern);
  else
    r.path = pattern;
  r.serve = std::move(h);
  routes_.push_back(std::move(r));
  return *this;
}

http_server& http_server::Get(const std::string& p, handler h) {
  return add("GET", p, std::move(h));
}
http_server& http_server::Post(const std::string& p, handler h) {
  return add("POST", p, std::move(h));
}
http_server& http_server::Put(const std::string& p, handler h) {
  return add("PUT", p, std::move(h));
}
http_server& http_server::Patch(const std::string& p, handler h) {
  return add("PATCH", p, std::move(h));
}
http_server& http_server::Delete(const std::string& p, handler h) {
  return add("DELETE", p, std::move(h));
}
http_server& http_server::Options(const std::string& p, handler h) {
  return add("OPTIONS", p, std::move(h));
}

void http_server::set_error_handler(handler h) {
  error_handler_ = std::move(h);
}

void http_server::set_exception_handler(exception_handler h) {
  exception_handler_ = std::move(h);
}

const http_server::route* http_server::find_route(const std::string& method,
                                                  httplib::Request& req) const {
  for (auto& r : routes_) {
    if (r.method != method)
      continue;
    if (r.pattern ? std::regex_match(req.path, req.matches, *r.pattern) : r.path == req.path)
      return &r;
  }
  return nullptr;
}

int http_server::bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0)
    return -1;
  int bound = -1;
  for (auto* ai = found; ai != nullptr && bound < 0; ai = ai->ai_next) {
    int s = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (s < 0)
      continue;
    int yes = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(s, SOMAXCONN) != 0) {
      ::close(s);
      continue;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    bound = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(addr).sin6_port
                                             : reinterpret_cast<sockaddr_in&>(addr).sin_port);
    if (auto old = listen_sock_.exchange(s); old >= 0)
      ::close(old);
  }
  ::freeaddrinfo(found);
  return bound;
}

bool http_server::bind_to_port(const std::string& host, int port) {
  return bind(host, port) >= 0;
}

int http_server::bind_to_any_port(const std::string& host) {
  return bind(host, 0);
}

bool http_server::client_gone() {
  return serving_socket >= 0 && client_gone(serving_socket);
}

bool http_server::client_gone(int client_socket) {
  pollfd p{client_socket, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

int http_server::client_socket() {
  return serving_socket;
}

bool http_server::claim_body_bytes(size_t n) {
  auto held = body_bytes_.load();
  do {
    if (held + n > opts_.max_body_bytes_in_flight)
      return false;
  } while (!body_bytes_.compare_exchange_weak(held, held + n));
  return true;
}

void http_server::release_body_bytes(size_t n) {
  if (n > 0)
    body_bytes_ -= n;
}

std::string http_server::refusal(int status) const {
  httplib::Request req;
  httplib::Response res;
  res.status = status;
  if (error_handler_)
    error_handler_(req, res);
  std::string out = "HTTP/1.1 ";
  append_number(out, static_cast<uint64_t>(status));
  out.append(" ").append(reason_phrase(status)).append("\r\n");
  for (auto& [name, value] : res.headers)
    if (!equals_ci(name, "connection") && !equals_ci(name, "content-length"))
      out.append(name).append(": ").append(value).append("\r\n");
  out.append("Connection: close\r\nContent-Length: ");
  append_number(out, res.body.size());
  out.append("\r\n\r\n").append(res.body);
  return out;
}

bool http_server::listen_after_bind() {
  int sock = listen_sock_.load();
  if (sock < 0)
    return false;
  tune_malloc_once();
  // The listening socket does not block: a burst of connections is taken
  // in one go. Accepted sockets block, bounded by their timeouts, once a
  // pooled thread serves them; the loop only ever reads them with
  // MSG_DONTWAIT.
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  event_loop loop{*this, sock};
  {
    std::lock_guard<std::mutex> guard{loop_mutex_};
    loop_ = &loop;
  }
  running_ = true;
  if (stopping())
    loop.wake();
  loop.run(); // every connection is done: drained
  {
    std::lock_guard<std::mutex> guard{loop_mutex_};
    loop_ = nullptr;
  }
  running_ = false;
  return true;
}

void http_server::stop() {
  stop_requested_ = true;
  // Idle connections close at once; answers being written, SSE streams
  // included, go on to their end.
  std::lock_guard<std::mutex> guard{loop_mutex_};
  if (loop_)
    loop_->wake();
}

} // namespace kb
