#pragma once

#include <string>
#include <string_view>

namespace kb {

/// Anthropic's error classes, each with its HTTP status.
enum class error_kind {
  invalid_request,   ///< 400 invalid_request_error
  authentication,    ///< 401 authentication_error
  billing,           ///< 402 billing_error
  permission,        ///< 403 permission_error
  not_found,         ///< 404 not_found_error
  request_too_large, ///< 413 request_too_large
  rate_limit,        ///< 429 rate_limit_error
  api,               ///< 500 api_error
  overloaded,        ///< 529 overloaded_error
  /// 503 api_error with `x-should-retry: false`: nothing can serve until an
  /// operator acts (no account, every account disabled), so clients must not
  /// retry it as they retry a 529.
  unavailable,
};

/// An error as a Claude client expects it: status, type and a precise message.
struct api_error {
  error_kind kind = error_kind::api;
  std::string message;
  /// Seconds for a `retry-after` header; 0 means none.
  int retry_after = 0;
  /// Kiro (or its auth service) answered with this error, or the call to it
  /// failed: an upstream error in the metrics, not the bridge's own.
  bool from_upstream = false;

  int status() const noexcept;
  std::string_view type() const noexcept;
};

api_error invalid_request(std::string message);

/// `{"type":"error","error":{"type":..,"message":..},"request_id":..}`.
std::string to_json(const api_error& err, std::string_view request_id);

/// An SSE `error` event carrying the same body (for failures after the 200).
std::string to_sse(const api_error& err, std::string_view request_id);

/// The kind Anthropic uses for an HTTP status (unlisted 4xx → invalid_request).
error_kind error_kind_for_status(int status) noexcept;

} // namespace kb
