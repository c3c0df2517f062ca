#pragma once

#include "services/common/http_server.hpp"
#include "services/common/service_config.hpp"
#include "services/gateway/gateway.hpp"

namespace kb::gw {

gateway_settings make_gateway_settings(const service_config& sc);

/// HTTP server sizing: every open connection (keep-alive or SSE stream)
/// pins a thread, so the pool covers every upstream worker twice over.
http_server_options make_http_server_options(const service_config& sc);

} // namespace kb::gw
