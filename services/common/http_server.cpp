#include "services/common/http_server.hpp"

#include <exception>
#include <thread>

#include <httplib.h>

#include "services/common/ids.hpp"
#include "services/common/log.hpp"
#include "services/common/signals.hpp"
#include "shared/common/api_error.hpp"

namespace kb {

namespace {

std::string size_text(size_t bytes) {
  if (bytes % (1u << 20) == 0)
    return std::to_string(bytes >> 20) + " MB";
  return std::to_string(bytes) + "-byte";
}

} // namespace

void set_api_error_handlers(http_server& server) {
  auto limit = server.options().max_body_bytes;
  server.set_error_handler([limit](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty())
      return;
    auto rid = res.get_header_value("request-id");
    if (rid.empty()) {
      rid = new_request_id();
      res.set_header("request-id", rid);
    }
    api_error err{error_kind_for_status(res.status), ""};
    switch (res.status) {
      case 404: err.message = "no route for " + req.method + " " + req.path; break;
      case 413: err.message = "request body exceeds the " + size_text(limit) + " limit"; break;
      case 400: err.message = "malformed HTTP request"; break;
      case 431: err.message = "request header fields too large"; break;
      case 408: err.message = "the request did not arrive within the read timeout"; break;
      case 414: err.message = "request line too long"; break;
      case 505: err.message = "HTTP version not supported"; break;
      case 503:
        err.message = "the server is at its limit of connections, requests or request bodies "
                      "in flight; retry later";
        break;
      default: err.message = "HTTP " + std::to_string(res.status); break;
    }
    if (res.status == 413)
      err.kind = error_kind::request_too_large;
    res.set_content(to_json(err, rid), "application/json");
  });
  server.set_exception_handler([](const httplib::Request& req,
                                  httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      if (ep)
        std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      // keep "unknown error"
    }
    KB_ERROR("http", req.method << " " << req.path << ": internal error: " << what);
    auto rid = new_request_id();
    res.status = 500;
    res.set_header("request-id", rid);
    res.set_content(to_json(api_error{error_kind::api, "internal error"}, rid),
                    "application/json");
  });
}

void serve_until_terminated(http_server& server, long long drain_timeout_ms,
                            const std::function<void(int)>& on_signal) {
  std::thread signals{[&] {
    auto sig = wait_for_termination_signal();
    on_signal(sig);
    exit_after_drain_timeout(drain_timeout_ms);
    server.stop();
  }};
  server.listen_after_bind();
  // listen returns once every connection's thread has finished: drained.
  // If it returned for another reason, wake the signal thread ourselves.
  if (server.is_running())
    server.stop();
  request_termination();
  signals.join();
}

int bind_http(http_server& server, const std::string& host, int port) {
  if (port == 0)
    return server.bind_to_any_port(host);
  return server.bind_to_port(host, port) ? port : -1;
}

} // namespace kb
