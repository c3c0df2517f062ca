#pragma once

// How a failed Kiro call is classified: the class decides failover,
// cooldown, refresh or disable; the message explains it to the user.

#include <cstdint>
#include <string>

namespace kb {

enum class failure_class : uint8_t {
  none,
  quota_exhausted,   ///< 402 / MONTHLY_REQUEST_COUNT etc.: until the reset date
  throttled,         ///< 429: cooldown with backoff
  invalid_bearer,    ///< 403 bearer token invalid / 401: refresh once, retry
  suspended,         ///< 403 suspended / locked: disable the account
  input_too_long,    ///< 400 CONTENT_LENGTH_EXCEEDS_THRESHOLD: client error
  bad_request,       ///< other 400 ("Improperly formed request."): client error
  server_error,      ///< 5xx: retry elsewhere with backoff
  network,           ///< connect/read/TLS failure, timeout: retry elsewhere
  refresh_failed,    ///< token refresh failed (transient)
  refresh_rejected,  ///< refresh token dead (invalid_grant): disable
};

struct upstream_failure {
  failure_class cls = failure_class::none;
  int32_t http_status = 0;
  std::string reason;  ///< Kiro's `reason` or exception type, may be empty
  std::string message; ///< human text, never containing a token
};

} // namespace kb
