#pragma once

// Kiro's account-level protocol as pure functions (kiro-protocol.md §1.3,
// §2, §5, §6): token refresh requests and responses (social and IdC),
// refresh timing, usage limits, the Kiro IDE's request headers, and the
// Kiro IDE token-file import. Time is always a parameter.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "shared/common/upstream_failure.hpp"

namespace kb::account {

enum class auth_method { social, idc };

struct credentials {
  std::string access_token;
  std::string refresh_token;
  std::string client_id;
  std::string client_secret;
  std::string region;      ///< SSO region for IdC (may differ from the API's)
  std::string profile_arn; ///< social accounts only
  int64_t expires_at_ms = 0; ///< 0 = unknown
  auth_method method = auth_method::social;
};

/// An HTTP request for the caller to perform.
struct http_call {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// -- refresh ------------------------------------------------------------------

/// Social: POST {social_url} {"refreshToken"}; IdC: POST {idc_url} with
/// {"clientId","clientSecret","refreshToken","grantType":"refresh_token"}.
http_call refresh_call(const credentials& c, std::string_view social_url,
                       std::string_view idc_url, std::string_view machine_id,
                       std::string_view kiro_version);

struct refreshed {
  std::string access_token;
  std::string refresh_token; ///< empty = unchanged
  std::string profile_arn;   ///< empty = unchanged
  int64_t expires_at_ms = 0;
};

/// 200 with accessToken → refreshed (expiresIn defaults to 3600 s);
/// invalid_grant / "Invalid refresh token" / social 401 → refresh_rejected
/// (the refresh token is dead); anything else → refresh_failed (transient).
std::variant<refreshed, upstream_failure>
parse_refresh_response(auth_method method, int http_status,
                       std::string_view body, int64_t now_ms);

/// Milliseconds until a refresh is due (0 = now). Unknown expiry → 0.
int64_t refresh_delay_ms(int64_t expires_at_ms, int64_t now_ms,
                         int64_t buffer_seconds);

bool needs_refresh(const credentials& c, int64_t now_ms, int64_t buffer_seconds);

/// 1 s·2^(attempt−1), capped at 60 s, ±20% jitter derived from the seed.
int64_t retry_backoff_ms(int attempt, uint64_t jitter_seed);

/// kiro.rs refuses refresh tokens the IDE truncated ("..." or too short).
/// Returns an explanation when the token looks unusable.
std::optional<std::string> implausible_refresh_token(std::string_view token,
                                                     size_t min_length = 100);

// -- usage --------------------------------------------------------------------

struct usage_limits {
  double used = 0;
  double limit = 0;
  double percent_used = 0;
  int64_t next_reset_ms = 0;
  std::string subscription_title;
  std::string subscription_type;
  std::string email;
  bool overage_enabled = false;
};

/// GET {base}/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST
/// &isEmailRequired=true[&profileArn=..] (profileArn for social accounts).
http_call usage_call(const credentials& c, std::string_view api_base_url,
                     std::string_view machine_id, std::string_view kiro_version);

/// Sums the first breakdown, an ACTIVE free trial and ACTIVE bonuses.
std::variant<usage_limits, upstream_failure>
parse_usage_limits(int http_status, std::string_view body);

/// The 1st of next month, 00:00 UTC: when monthly quotas reset.
int64_t next_month_reset_ms(int64_t now_ms);

// -- headers ------------------------------------------------------------------

/// The Kiro IDE's headers for generateAssistantResponse. No
/// `Connection: close`: workers keep their connection alive.
std::vector<std::pair<std::string, std::string>>
chat_headers(const credentials& c, std::string_view machine_id,
             std::string_view kiro_version, std::string_view invocation_id);

/// 64 hex: SHA-256 of "kiro-bridge/" + account id — stable while refresh
/// tokens rotate.
std::string machine_id(std::string_view account_id);

std::string url_encode(std::string_view s);

/// "****" + the last 4 characters (nothing of short secrets).
std::string mask_secret(std::string_view secret);

// -- Kiro IDE token file -------------------------------------------------------

/// `~/.aws/sso/cache/kiro-auth-token.json` (social or IdC) plus, for IdC,
/// the client registration file `{clientId, clientSecret, expiresAt}`.
/// Returns the credentials or an error message (never containing a token).
std::variant<credentials, std::string>
parse_kiro_auth_token_file(std::string_view token_json,
                           std::string_view client_registration_json);

} // namespace kb::account
