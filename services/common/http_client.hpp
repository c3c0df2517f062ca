#pragma once

// Outbound HTTP(S) for the blocking actors (workers, maintainers) by base
// URL: one keep-alive connection per client, TLS verified against the
// system CAs and an optional CA file (services/http/http1_client).

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "services/http/http1_client.hpp"

namespace kb {

struct http_response {
  int status = 0;          ///< 0 = no HTTP response (see `error`)
  std::string body;        ///< full body (for non-streamed calls and errors)
  std::string error;       ///< transport error text, empty on success
};

class http_client {
public:
  /// `base_url` is "https://host[:port]" or "http://host[:port]"; paths are
  /// given per call. Returns nullptr-equivalent state if the URL is invalid.
  http_client(const std::string& base_url, const http_client_options& opts);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  bool valid() const noexcept;
  const std::string& base_url() const noexcept { return base_url_; }

  /// A buffered request (answers over 16 MB are refused).
  http_response send(const std::string& method, const std::string& path,
                     const http_headers& headers, const std::string& body,
                     const std::string& content_type);

  /// A streamed POST: `on_chunk` sees every body chunk of a 2xx answer as
  /// it arrives (return false to abort the download: the error is then
  /// "canceled"). Other answers' bodies (up to 1 MB) are collected into the
  /// result instead. `cancel` (optional) can end the call from another
  /// thread, even while it waits for the first byte.
  http_response stream_post(const std::string& path,
                            const http_headers& headers,
                            const std::string& body,
                            const std::string& content_type,
                            const std::function<bool(const char*, size_t)>& on_chunk,
                            call_cancel* cancel = nullptr);

private:
  std::string base_url_;
  std::unique_ptr<http1_client> client_;
};

/// Splits "https://host:port/path?q" into ("https://host:port", "/path?q").
std::pair<std::string, std::string> split_url(const std::string& url);

} // namespace kb
