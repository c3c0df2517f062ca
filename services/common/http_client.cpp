#include "services/common/http_client.hpp"

#include "shared/common/url.hpp"

namespace kb {

namespace {

constexpr size_t max_buffered_body = 16u << 20;
constexpr size_t max_error_body = 1u << 20;

} // namespace

std::pair<std::string, std::string> split_url(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return {url, "/"};
  auto path_start = url.find('/', scheme_end + 3);
  if (path_start == std::string::npos)
    return {url, "/"};
  return {url.substr(0, path_start), url.substr(path_start)};
}

http_client::http_client(const std::string& base_url,
                         const http_client_options& opts)
  : base_url_(base_url) {
  // An origin only: callers join the base URL's path to each call's path.
  if (auto u = parse_url(base_url); u && u->path_prefix.empty())
    client_ = std::make_unique<http1_client>(u->host, u->port, u->tls, opts);
}

http_client::~http_client() = default;

bool http_client::valid() const noexcept {
  return client_ != nullptr;
}

http_response http_client::send(const std::string& method,
                                const std::string& path,
                                const http_headers& headers,
                                const std::string& body,
                                const std::string& content_type) {
  http_response out;
  if (!client_) {
    out.error = "invalid upstream URL " + base_url_;
    return out;
  }
  bool too_big = false;
  out.error = client_->exchange(
    {method, path, &headers, content_type, body},
    [&](int status) {
      out.status = status;
      return true;
    },
    [&](const char* data, size_t len) {
      if (out.body.size() + len > max_buffered_body) {
        too_big = true;
        return false;
      }
      out.body.append(data, len);
      return true;
    });
  if (too_big) {
    out.status = 0;
    out.body.clear();
    out.error = "the answer is larger than 16 MB";
  } else if (!out.error.empty()) {
    out.status = 0;
  }
  return out;
}

http_response http_client::stream_post(
  const std::string& path, const http_headers& headers,
  const std::string& body, const std::string& content_type,
  const std::function<bool(const char*, size_t)>& on_chunk, call_cancel* cancel) {
  http_response out;
  if (!client_) {
    out.error = "invalid upstream URL " + base_url_;
    return out;
  }
  out.error = client_->exchange(
    {"POST", path, &headers, content_type, body},
    [&](int status) {
      out.status = status;
      return true;
    },
    [&](const char* data, size_t len) {
      if (out.status < 200 || out.status >= 300) {
        if (out.body.size() < max_error_body)
          out.body.append(data, std::min(len, max_error_body - out.body.size()));
        return true;
      }
      return on_chunk(data, len);
    },
    cancel);
  return out;
}

} // namespace kb
