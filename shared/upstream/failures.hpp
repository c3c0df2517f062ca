#pragma once

// Classification of Kiro failures (kiro-protocol.md §5) and what a Claude
// client is told when no other account can take the request.
//
// Choices beyond the protocol notes:
// - ThrottlingException with reason DAILY_REQUEST_COUNT → throttled, not
//   quota_exhausted: the count resets within a day, while quota_exhausted
//   parks an account until the monthly reset. `reason` keeps
//   DAILY_REQUEST_COUNT so the account layer can choose a longer cooldown.
// - A 403 that is neither a bad bearer nor a suspension (profileArn
//   problems, FEATURE_NOT_SUPPORTED, anything unrecognised) → bad_request:
//   refreshing would not help and disabling the account would be wrong.
// - A mid-stream ContentLengthExceededException means the *output* hit
//   Kiro's length limit; it classifies as `none` and the reply assembler
//   ends the message with stop_reason "max_tokens".
// - A status below 100 (no HTTP response at all) classifies as network.

#include <string_view>

#include "shared/common/api_error.hpp"
#include "shared/common/upstream_failure.hpp"

namespace kb::upstream {

/// Kiro's `message` (or the raw body) kept in `upstream_failure::message`
/// is cut to this many bytes.
inline constexpr size_t max_failure_message_bytes = 300;

/// Seconds a client is told to wait after Kiro throttled every account.
inline constexpr int default_throttle_retry_after = 5;

/// A non-2xx answer to generateAssistantResponse. `body` may be Kiro's JSON
/// `{"message","reason","__type"}` or anything else.
upstream_failure classify_http_failure(int status, std::string_view body);

/// An exception frame received after the 200 (`:exception-type` or
/// `:error-code`, and its message).
upstream_failure classify_exception(std::string_view type, std::string_view message);

/// What the client sees when no failover is possible. Never 401/403: the
/// client would blame its own API key for a problem of the account pool.
/// invalid_bearer, suspended, refresh_* and server_error → 529
/// overloaded_error (Claude clients retry it); network → 500 api_error.
api_error to_client_error(const upstream_failure& failure,
                          int retry_after_seconds = default_throttle_retry_after);

} // namespace kb::upstream
