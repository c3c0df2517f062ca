#include "services/common/http_client.hpp"

#include <charconv>

#include <httplib.h>

#include "services/http/http_clients.hpp"

namespace kb {

namespace {

httplib::Headers to_httplib(const http_headers& headers) {
  httplib::Headers out;
  for (auto& [k, v] : headers)
    out.emplace(k, v);
  return out;
}

std::string describe(httplib::Error err) {
  return httplib::to_string(err);
}

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

std::optional<origin> parse_origin(const std::string& base_url) {
  origin o;
  std::string_view rest{base_url};
  if (rest.rfind("https://", 0) == 0) {
    o.tls = true;
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  o.port = o.tls ? 443 : 80;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    o.host = std::string{rest.substr(1, close - 1)};
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return std::nullopt;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    auto colon = rest.find(':');
    o.host = std::string{rest.substr(0, colon)};
    if (colon != std::string_view::npos)
      port = rest.substr(colon + 1);
  }
  if (o.host.empty() || o.host.find_first_of("/?#@ ") != std::string::npos)
    return std::nullopt;
  if (!port.empty() || rest.find(':') != std::string_view::npos) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
    if (ec != std::errc{} || end != port.data() + port.size() || o.port <= 0 || o.port > 65535)
      return std::nullopt;
  }
  return o;
}

http_client::http_client(const std::string& base_url,
                         const http_client_options& opts)
  : base_url_(base_url) {
  auto o = parse_origin(base_url);
  if (!o)
    return;
  if (o->tls)
    client_ = std::make_unique<tls_http_client>(o->host, o->port);
  else
    client_ = std::make_unique<plain_http_client>(o->host, o->port);
  if (!client_->is_valid()) {
    client_.reset();
    return;
  }
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);
  client_->set_connection_timeout(std::chrono::milliseconds(opts.connect_timeout_ms));
  client_->set_read_timeout(std::chrono::milliseconds(opts.read_timeout_ms));
  client_->set_write_timeout(std::chrono::milliseconds(opts.write_timeout_ms));
  if (!opts.ca_file.empty())
    client_->set_ca_cert_path(opts.ca_file.c_str());
  client_->enable_server_certificate_verification(true);
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
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = to_httplib(headers);
  if (!body.empty() || method == "POST") {
    req.body = body;
    req.set_header("Content-Type", content_type);
  }
  auto res = client_->send(req);
  if (!res) {
    out.error = describe(res.error());
    return out;
  }
  out.status = res->status;
  out.body = std::move(res->body);
  return out;
}

http_response http_client::stream_post(
  const std::string& path, const http_headers& headers,
  const std::string& body, const std::string& content_type,
  const std::function<bool(const char*, size_t)>& on_chunk) {
  http_response out;
  if (!client_) {
    out.error = "invalid upstream URL " + base_url_;
    return out;
  }
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = to_httplib(headers);
  req.body = body;
  req.set_header("Content-Type", content_type);
  req.response_handler = [&](const httplib::Response& r) {
    out.status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t,
                             uint64_t) {
    if (out.status < 200 || out.status >= 300) {
      if (out.body.size() < (1u << 20))
        out.body.append(data, len);
      return true;
    }
    return on_chunk(data, len);
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  if (!client_->send(req, res, err)) {
    if (err == httplib::Error::Canceled)
      out.error = "canceled";
    else
      out.error = describe(err);
  }
  return out;
}

} // namespace kb
