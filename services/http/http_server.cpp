#include "services/http/http_server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <array>
#include <chrono>
#include <thread>

#include "services/http/http1_reader.hpp"
#include "services/http/socket_stream.hpp"
#include "shared/common/ascii.hpp"

namespace kb {

namespace {

/// How often the accept loop checks for stop().
constexpr int stop_check_ms = 250;

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

/// Splits the request target into path (percent-decoded, as httplib does)
/// and query parameters.
void split_target(httplib::Request& req) {
  auto query = req.target.find('?');
  auto path = req.target.substr(0, query);
  req.path = path.find('%') == std::string::npos ? std::move(path)
                                                  : httplib::detail::decode_url(path, false);
  if (query != std::string::npos)
    httplib::detail::parse_query_text(req.target.substr(query + 1), req.params);
}

/// "GET /path HTTP/1.1" into the request; false when it is not one.
bool parse_request_line(std::string_view line, httplib::Request& req, int& minor_version) {
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp2 == sp1)
    return false;
  auto version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return false;
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.find(' ') != std::string_view::npos)
    return false;
  req.method.assign(line.substr(0, sp1));
  req.target.assign(target);
  req.version.assign(version);
  minor_version = version.back() - '0';
  return true;
}

} // namespace

/// One accepted connection: reads requests, routes them, writes answers.
class http_server::connection {
public:
  connection(const http_server& server, int sock)
    : server_(server),
      stream_(sock, server.opts_.read_timeout_s * 1000, server.opts_.write_timeout_s * 1000) {
    stream_.get_remote_ip_and_port(remote_.ip, remote_.port);
    stream_.get_local_ip_and_port(local_.ip, local_.port);
  }

  void serve() {
    while (next_request()) {
      httplib::Request req;
      httplib::Response res;
      bool close = !serve_one(req, res);
      if (!stream_.flush() || close)
        break;
    }
    if (stream_.flush() && unread_input_)
      discard_unread_input();
  }

private:
  /// Waits for the next request: true when one is there, false when the
  /// connection idled out (the socket's SO_RCVTIMEO is the keep-alive
  /// timeout), the peer left or the server is stopping (stop() shuts the
  /// reading side of every connection). One recv, no poll before it.
  bool next_request() {
    return !server_.stopping() && stream_.await_input() > 0;
  }

  /// Serves one request; false when the connection must end after it.
  bool serve_one(httplib::Request& req, httplib::Response& res) {
    // The handler, and a content provider writing its answer, may ask
    // client_gone().
    struct serving_guard {
      explicit serving_guard(int sock) { serving_socket = sock; }
      ~serving_guard() { serving_socket = -1; }
    } serving{stream_.socket()};
    http1_reader reader{stream_, "request"};
    int status = read_request(reader, req);
    bool keep = !reader.close_after;
    if (status == -1)
      return false; // the peer left or went silent before a whole request
    if (status > 0) {
      // A request we could not read whole: answer, then end the
      // connection (what is left of it cannot be trusted to frame).
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
    return write_response(req, res, keep) && keep;
  }

  /// 0 when the request was read whole, -1 when the connection ended
  /// without one, else the error status to answer with.
  int read_request(http1_reader& reader, httplib::Request& req) {
    std::string_view line;
    int minor_version = 1;
    // Empty lines before a request are ignored (RFC 9112 2.2).
    for (int blank = 0; blank < 8; ++blank) {
      if (!reader.read_line(line))
        return reader.input_ended && !stream_.has_buffered_input() ? -1 : 400;
      if (!line.empty())
        break;
    }
    if (!parse_request_line(line, req, minor_version)) {
      reader.close_after = true;
      return 400;
    }
    req.remote_addr = remote_.ip;
    req.remote_port = remote_.port;
    req.local_addr = local_.ip;
    req.local_port = local_.port;
    bool fields_ok = reader.read_fields(minor_version, [&](std::string_view name,
                                                           std::string_view value) {
      req.headers.emplace(std::string{name}, std::string{value});
    });
    if (!fields_ok)
      return reader.input_ended ? -1 : 431;
    split_target(req);
    auto framing = reader.body_framing(true, false);
    if (framing == http1_reader::framing::none)
      return 0;
    auto limit = server_.opts_.max_body_bytes;
    if (reader.content_length() && *reader.content_length() > limit)
      return 413;
    if (auto expect = req.headers.find("Expect");
        expect != req.headers.end() && equals_ci(expect->second, "100-continue")) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      if (stream_.write(go_on.data(), go_on.size()) < 0 || !stream_.flush())
        return -1;
    }
    if (reader.content_length())
      req.body.reserve(static_cast<size_t>(*reader.content_length()));
    bool too_large = false;
    bool aborted = false;
    bool ok = reader.read_body(
      framing,
      [&](const char* data, size_t n) {
        if (req.body.size() + n > limit) {
          too_large = true;
          return false;
        }
        req.body.append(data, n);
        return true;
      },
      aborted);
    if (too_large)
      return 413;
    if (!ok)
      return reader.input_ended ? -1 : 400;
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
    int sock = stream_.socket();
    ::shutdown(sock, SHUT_WR);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::array<char, 16384> scratch;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left <= 0 || !wait_for(sock, POLLIN, static_cast<int>(left)) ||
          ::recv(sock, scratch.data(), scratch.size(), 0) <= 0)
        return;
    }
  }

  const http_server& server_;
  bool unread_input_ = false; ///< a request was answered before it was read whole
  socket_stream stream_;
  socket_stream::endpoint remote_;
  socket_stream::endpoint local_;
  std::string head_;
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

bool http_server::listen_after_bind() {
  int sock = listen_sock_.load();
  if (sock < 0)
    return false;
  running_ = true;
  httplib::ThreadPool pool{opts_.threads};
  // The listening socket does not block: a burst of connections is taken
  // in one go after one poll. Accepted sockets block (Linux does not pass
  // O_NONBLOCK on); their options are set on their own threads.
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  while (!stopping()) {
    if (!wait_for(sock, POLLIN, stop_check_ms))
      continue;
    while (!stopping()) {
      int conn = ::accept4(sock, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn >= 0) {
        pool.enqueue([this, conn] { serve_connection(conn); });
        continue;
      }
      if (errno == EMFILE || errno == ENFILE) // out of descriptors: let some close
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (errno != EINTR && errno != ECONNABORTED)
        break;
    }
  }
  if (auto s = listen_sock_.exchange(-1); s >= 0)
    ::close(s); // new connections are refused from here on
  pool.shutdown(); // every connection's thread is done: drained
  running_ = false;
  return true;
}

void http_server::serve_connection(int sock) {
  int yes = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  set_timeout(sock, SO_RCVTIMEO, opts_.keep_alive_timeout_s);
  set_timeout(sock, SO_SNDTIMEO, opts_.write_timeout_s);
  {
    std::lock_guard<std::mutex> guard{open_mutex_};
    open_.insert(sock);
  }
  connection{*this, sock}.serve();
  {
    std::lock_guard<std::mutex> guard{open_mutex_};
    open_.erase(sock);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

void http_server::stop() {
  stop_requested_ = true;
  // Wakes connections waiting for a request (their recv ends); answers
  // being written, SSE streams included, go on to their end.
  std::lock_guard<std::mutex> guard{open_mutex_};
  for (int sock : open_)
    ::shutdown(sock, SHUT_RD);
}

} // namespace kb
