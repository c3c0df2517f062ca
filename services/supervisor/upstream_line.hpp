#pragma once

// One account's keep-alive connection to Kiro's API, and the call made over
// it: build the Kiro request, stream the answer's events to the reply sink.
// One thread at a time uses it: its worker's, or an in-process gateway's
// HTTP thread holding a ticket for it (see ticket_pool).

#include <memory>
#include <string>

#include "services/common/http_client.hpp"
#include "shared/kiro/request_builder.hpp"

namespace kb::sup {

struct dispatch;
struct call_outcome;

struct worker_config {
  std::string account_id;
  std::string api_base_url;  ///< e.g. https://q.us-east-1.amazonaws.com
  std::string region = "us-east-1"; ///< kiro.region (account::api_base_url_for)
  http_client_options http;
  std::string machine_id;
  std::string kiro_version;
  size_t max_body_bytes = kiro::default_max_body_bytes; ///< kiro.maxRequestBytes
  bool chunked_write_guidance = true;                   ///< kiro.chunkedWriteGuidance
};

class upstream_line {
public:
  explicit upstream_line(worker_config cfg);
  upstream_line(const upstream_line&) = delete;
  upstream_line& operator=(const upstream_line&) = delete;

  /// Makes the call and tells `d.sink` its events; the outcome is for the
  /// supervisor.
  call_outcome call(dispatch& d);

private:
  /// Connects to `url` unless already there.
  void use_base(const std::string& url);

  worker_config cfg_;
  std::unique_ptr<http_client> client_;
  std::string base_url_;
  std::string path_prefix_;
};

} // namespace kb::sup
