#pragma once

// Kiro's account-level protocol as pure functions (kiro-protocol.md §1.3,
// §1.4, §2, §5, §6): token refresh requests and responses (social and IdC),
// refresh timing, usage limits, the Kiro IDE's request headers, and the
// Kiro IDE token-file import. Time is always a parameter.

#include <cstddef>
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

/// Kiro's three kinds of account (profiles.cpp says how each is told apart
/// and which sends a profileArn).
enum class account_kind { social, builder_id, enterprise };

struct credentials {
  std::string access_token;
  std::string refresh_token;
  std::string client_id;
  std::string client_secret;
  std::string region;      ///< the token file's `region` (SSO region for IdC)
  std::string auth_region; ///< kiro.rs `authRegion`: the refresh region, wins over `region`
  std::string api_region;  ///< kiro.rs `apiRegion`: the q.{region} API host
  std::string start_url;   ///< IdC `startUrl` (Builder ID's, or an organisation's)
  std::string provider;    ///< the IDE's `provider`: BuilderId, Enterprise, Google, ...
  std::string profile_arn; ///< social and enterprise accounts; never sent for Builder ID
  int64_t expires_at_ms = 0; ///< 0 = unknown
  auth_method method = auth_method::social;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// An HTTP request for the caller to perform.
struct http_call {
  std::string method;
  std::string url;
  header_list headers;
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

/// 2xx with accessToken and expiresIn → refreshed; a 2xx missing either →
/// refresh_failed. invalid_grant / "Invalid refresh token provided" / a
/// social 401 → refresh_rejected (the refresh token is dead: disable the
/// account); anything else (5xx, 429, garbage) → refresh_failed (retry with
/// backoff). Messages never contain tokens.
std::variant<refreshed, upstream_failure>
parse_refresh_response(auth_method method, int http_status,
                       std::string_view body, int64_t now_ms);

/// Milliseconds until a refresh is due, `buffer_seconds` before expiry
/// (0 = now). Unknown expiry (0) → 0.
int64_t refresh_delay_ms(int64_t expires_at_ms, int64_t now_ms,
                         int64_t buffer_seconds);

/// No access token, or refresh_delay_ms() says now.
bool needs_refresh(const credentials& c, int64_t now_ms, int64_t buffer_seconds);

inline constexpr int64_t backoff_base_ms = 1'000;
inline constexpr int64_t backoff_cap_ms = 60'000;

/// Delay before retry number `attempt` (1-based) of a failed refresh:
/// 1 s·2^(attempt−1) capped at 60 s, then ±20% jitter derived from
/// `jitter_seed` (same seed, same delay). Never decreases with `attempt`
/// for a given seed.
int64_t retry_backoff_ms(int attempt, uint64_t jitter_seed);

inline constexpr size_t kiro_min_refresh_token_length = 100;

/// kiro.rs refuses refresh tokens the IDE truncated: containing "..." or
/// shorter than `min_length` (simulators use short tokens, hence the
/// parameter). On false, `why` (if given) says what looks wrong.
bool plausible_refresh_token(std::string_view token,
                             size_t min_length = kiro_min_refresh_token_length,
                             std::string* why = nullptr);

// -- account kinds, profiles and regions (profiles.cpp) -------------------------

/// Builder ID's start URL (AIClient kiro-oauth.js, Kiro-Go builderid.go).
inline constexpr std::string_view builder_id_start_url = "https://view.awsapps.com/start";

/// social for social logins; an IdC account is enterprise when its provider
/// says so (the IDE writes "Enterprise"; "Internal"/"IAM..." too) or its
/// startUrl is an organisation's, else Builder ID.
account_kind kind_of(const credentials& c);
std::string_view to_string(account_kind k);

/// Whether the API base is the newer `runtime.{region}.kiro.dev` host.
bool is_runtime_host(std::string_view api_base_url);

/// The profileArn a request of this account carries ("" = none): social and
/// enterprise accounts send theirs; Builder ID never does on q.* (kiro.rs
/// #161 / PR #168: 403 bearer invalid), but the runtime host wants one from
/// every kind (OmniRoute #13192).
std::string profile_arn_for_request(const credentials& c, std::string_view api_base_url);

/// The region of `arn:aws:codewhisperer:{region}:{account}:profile/{id}`,
/// or "" when it is not such an ARN.
std::string region_of_profile_arn(std::string_view arn);

/// Where an IdC account refreshes: `https://oidc.{region}.amazonaws.com/token`
/// with the account's authRegion, else region (kiro.rs token_manager.rs
/// effective_auth_region; AIClient idcRegion). A configured URL other than
/// the default of `configured_region` is an override (tests, proxies) and
/// is kept as is.
std::string idc_refresh_url(const credentials& c, std::string_view configured_url,
                            std::string_view configured_region);

/// The account's API base: `https://q.{region}.amazonaws.com` (or
/// `https://runtime.{region}.kiro.dev` when that host is configured) with
/// the account's apiRegion, else its profile ARN's region (eu-central-1
/// profiles), else the configured one. Any other configured URL is kept.
std::string api_base_url_for(const credentials& c, std::string_view configured_url,
                             std::string_view configured_region);

/// POST {base}/ListAvailableProfiles {"maxResults":10}: the account's
/// profiles (an enterprise account without a profileArn needs one).
http_call profiles_call(const credentials& c, std::string_view api_base_url,
                        std::string_view machine_id, std::string_view kiro_version);

/// The ARNs of `{"profiles":[{"arn","profileName"}],"nextToken"}` (some
/// peers read `profileArn`), in Kiro's order; an empty list is an error
/// that says the account has no profile.
std::variant<std::vector<std::string>, upstream_failure>
parse_available_profiles(int http_status, std::string_view body);

// -- usage --------------------------------------------------------------------

struct usage_limits {
  double used = 0;
  double limit = 0;
  double percent_used = 0;
  int64_t next_reset_ms = 0; ///< 0 = not reported
  std::string subscription_title;
  std::string subscription_type;
  std::string email;
  bool overage_enabled = false;
};

/// GET {base}/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST
/// &isEmailRequired=true[&profileArn=<urlencoded>] (profileArn as
/// profile_arn_for_request says, §1.4).
http_call usage_call(const credentials& c, std::string_view api_base_url,
                     std::string_view machine_id, std::string_view kiro_version);

/// limit = the first breakdown's usageLimitWithPrecision (or usageLimit) +
/// an ACTIVE free trial's + ACTIVE bonuses'; used likewise; percent capped
/// to 0..100. Non-2xx answers are classified like generateAssistantResponse
/// failures (kb::upstream::classify_http_failure).
std::variant<usage_limits, upstream_failure>
parse_usage_limits(int http_status, std::string_view body);



// -- headers ------------------------------------------------------------------

/// The Kiro IDE's headers for generateAssistantResponse (§1.3).
/// GET {base}/ListAvailableModels?origin=AI_EDITOR[&profileArn=..]: the
/// models Kiro offers this account.
http_call models_call(const credentials& c, std::string_view api_base_url,
                      std::string_view machine_id, std::string_view kiro_version);

/// The `modelId`s of a ListAvailableModels answer, in Kiro's order.
std::variant<std::vector<std::string>, upstream_failure>
parse_available_models(int http_status, std::string_view body);

header_list chat_headers(const credentials& c, std::string_view machine_id,
                         std::string_view kiro_version,
                         std::string_view invocation_id);

/// 64 lowercase hex: SHA-256 of "kiro-bridge/" + account id — stable while
/// refresh tokens rotate.
std::string machine_id(std::string_view account_id);

/// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(std::string_view s);

/// "****" + the last 4 characters; just "****" for secrets shorter than 12
/// (their last 4 would give away too much).
std::string mask_secret(std::string_view secret);

// -- Kiro IDE token file -------------------------------------------------------

/// `~/.aws/sso/cache/kiro-auth-token.json` (social or IdC) plus, for IdC,
/// the client registration file `{clientId, clientSecret, expiresAt}` (may
/// be empty for social). Returns the credentials or an error message that
/// never contains a token.
std::variant<credentials, std::string>
parse_kiro_auth_token_file(std::string_view token_json,
                           std::string_view client_registration_json);

} // namespace kb::account
