#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/fwd.hpp>

#include "services/sim/kiro_errors.hpp"
#include "shared/common/result.hpp"

namespace kb::sim {

enum class auth_method { social, idc };

/// Kiro's account kinds: a social login, an IdC login through Builder ID,
/// or through an organisation's Identity Center (enterprise). Builder ID has
/// no profile (kiro.rs #161/PR #168); an enterprise account has its own.
enum class account_kind { social, builder_id, enterprise };

std::string_view to_string(account_kind k) noexcept;

/// The profile every social account shares (kiro-protocol.md §1.4).
inline constexpr std::string_view shared_social_profile_arn =
    "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";

/// One account as the accounts file and `POST /__sim/accounts` describe it.
struct account_spec {
  std::string id;
  std::string access_token;
  std::string refresh_token;
  auth_method method = auth_method::social;
  /// `kind` ("social", "builder-id", "enterprise"), else from authMethod,
  /// `provider` ("Enterprise" as the IDE writes) or `startUrl`.
  account_kind kind = account_kind::social;
  std::string client_id;
  std::string client_secret;
  std::string profile_arn;
  int64_t access_token_expires_in = 3600;
  int64_t usage_limit = 500;
  int64_t current_usage = 0;
  std::string email;
  /// getUsageLimits' subscriptionTitle; decides the models it serves.
  std::string subscription = "KIRO PRO";
};

/// Parses one account object; missing optional fields take their defaults.
result<account_spec> parse_account(const boost::json::value& v);
/// Parses a JSON array of accounts (or a single object).
result<std::vector<account_spec>> parse_accounts(std::string_view json_text);

/// How refresh behaves; changeable at run time through `/__sim/config`.
struct token_policy {
  /// Seconds a replaced access token keeps working (0 = dies at once).
  int64_t old_token_grace_seconds = 0;
  /// Whether each refresh issues a new refresh token (the old one dies).
  bool rotate_refresh_token = false;
  /// Lifetime of tokens issued by refresh.
  int64_t issued_expires_in = 3600;
};

/// Why a bearer token was refused.
enum class auth_failure { missing, unknown, expired };

std::string_view to_string(auth_failure f) noexcept;

/// An HTTP answer of the token services.
struct token_reply {
  int status = 200;
  std::string body;
  std::string account_id; ///< empty when no account was identified
};

/// Live state of one account.
struct account_state {
  account_spec spec;
  std::string refresh_token;
  int64_t usage = 0;
  uint64_t refresh_count = 0;
};

/// Accounts, their tokens and their usage. Pure: time is passed in.
class account_book {
public:
  explicit account_book(uint64_t token_seed = 0x5eed);

  /// Adds or replaces an account; its old tokens stop working.
  void upsert(const account_spec& spec, int64_t now);

  /// The account owning a live access token.
  struct auth_result {
    const account_state* account = nullptr;
    auth_failure failure = auth_failure::unknown;
  };
  auth_result authenticate(std::string_view access_token, int64_t now) const;

  const account_state* find(std::string_view id) const;
  std::vector<std::string> ids() const;

  /// `POST /refreshToken` (social) with its raw body.
  token_reply refresh_social(std::string_view body, int64_t now);
  /// `POST /ListAvailableProfiles` of an authenticated account.
  token_reply list_profiles(const account_state& acc) const;

  /// `POST /token` (SSO-OIDC CreateToken, IdC) with its raw body.
  token_reply refresh_idc(std::string_view body, int64_t now);

  /// Makes every access token of the account expire now. False if unknown.
  bool expire(std::string_view id, int64_t now);

  void count_request(std::string_view id);
  /// Usage jumps to the limit (a scripted quota hit).
  void exhaust(std::string_view id);
  bool is_exhausted(std::string_view id) const;
  /// Usage goes back to each account's configured `currentUsage`.
  void reset_usage();

  token_policy& policy() noexcept { return policy_; }
  const token_policy& policy() const noexcept { return policy_; }

private:
  struct token_entry {
    std::string account_id;
    int64_t expires_at = 0;
  };

  account_state* find_mutable(std::string_view id);
  std::string mint(std::string_view prefix, size_t hex_digits);
  void forget_tokens_of(std::string_view id);
  /// Issues a new access token (old ones end after the grace period) and
  /// maybe rotates the refresh token. Returns the new access token.
  std::string refresh(account_state& acc, int64_t now);

  std::map<std::string, account_state, std::less<>> accounts_;
  std::unordered_map<std::string, token_entry> access_tokens_;
  std::unordered_map<std::string, std::string> refresh_tokens_;
  token_policy policy_;
  uint64_t seed_;
  uint64_t minted_ = 0;
};

} // namespace kb::sim
