#include "services/gateway/gateway_setup.hpp"

#include <algorithm>

namespace kb::gw {

gateway_settings make_gateway_settings(const service_config& sc) {
  gateway_settings g;
  g.api_keys = sc.server.api_keys;
  g.models = sc.models;
  g.request_timeout_ms = sc.server.connection_pool.request_timeout_ms;
  g.stream_timeout_ms = sc.server.connection_pool.stream_timeout_ms;
  return g;
}

http_server_options make_http_server_options(const service_config& sc) {
  http_server_options o;
  size_t workers = sc.accounts.accounts.size() *
                   static_cast<size_t>(std::max(1, sc.server.workers_per_account));
  o.threads = std::max<size_t>(512, 2 * workers + 64);
  o.header_timeout_ms = static_cast<int>(sc.server.http.header_timeout_ms);
  o.max_connections = static_cast<size_t>(sc.server.http.max_connections);
  o.max_body_bytes_in_flight = static_cast<size_t>(sc.server.http.max_body_bytes_in_flight);
  return o;
}

} // namespace kb::gw
