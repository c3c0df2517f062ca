#pragma once

// httplib's clients over our socket_stream: a request's header block and
// body leave in one segment (one TLS record), and a response is read
// without a poll before every read while its bytes are already waiting.

#include <functional>

#include <httplib.h>

namespace kb {

class plain_http_client final : public httplib::ClientImpl {
public:
  using httplib::ClientImpl::ClientImpl;

private:
  bool process_socket(const Socket& socket,
                      std::function<bool(httplib::Stream&)> callback) override;
};

class tls_http_client final : public httplib::SSLClient {
public:
  using httplib::SSLClient::SSLClient;

private:
  bool process_socket(const Socket& socket,
                      std::function<bool(httplib::Stream&)> callback) override;
};

} // namespace kb
