#pragma once

// Classification of Kiro failures (kiro-protocol.md §5) and what a Claude
// client is told when no other account can take the request.
//
// Choices beyond the protocol notes:
// - ThrottlingException with reason DAILY_REQUEST_COUNT → throttled, not
//   quota_exhausted: the count resets within a day, while quota_exhausted
//   parks an account until the monthly reset. `reason` keeps
//   DAILY_REQUEST_COUNT so the account layer can choose a longer cooldown.
// - A 403 that is neither a bad bearer nor a suspension → bad_request
//   (refreshing would not help, disabling the account would be wrong), and
//   unless it is FEATURE_NOT_SUPPORTED, is_account_denial() says it is the
//   account's fault ("AWS Builder ID is not supported for this operation",
//   "User is not authorized to access this feature", ...): the pool fails
//   over and parks the account in `error` to re-test it later.
// - A mid-stream ContentLengthExceededException means the *output* hit
//   Kiro's length limit; it classifies as `none` and the reply assembler
//   ends the message with stop_reason "max_tokens".
// - A status below 100 (no HTTP response at all) classifies as network.

#include <cstdint>
#include <optional>
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

/// An unrecognised 401/403 refusal: the account, not the request, is at
/// fault (issue 14 rule 4).
bool is_account_denial(const upstream_failure& f);

/// 400 `profileArn is required for this request.` (AIClient-2-API #605,
/// jwadow TROUBLESHOOTING_NOTES): an enterprise account without its ARN.
bool is_profile_arn_required(const upstream_failure& f);

/// The longest cooldown an upstream Retry-After may set (1 hour).
inline constexpr int64_t max_retry_after_ms = 3'600'000;

/// A `Retry-After` value (delta-seconds or an HTTP-date, RFC 9110 §10.2.3,
/// as AIClient common.js parseRetryAfterMs reads it) in milliseconds from
/// `now_ms`, capped at max_retry_after_ms; nullopt when unreadable.
std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_ms);

/// What the client sees when no failover is possible. Never 401/403: the
/// client would blame its own API key for a problem of the account pool.
/// invalid_bearer, suspended, refresh_* and server_error → 529
/// overloaded_error (Claude clients retry it); network → 500 api_error.
api_error to_client_error(const upstream_failure& failure,
                          int retry_after_seconds = default_throttle_retry_after);

} // namespace kb::upstream
