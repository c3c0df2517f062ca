#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/config/config_error.hpp"

namespace kb::config {

enum class auth_method {
  social, ///< Google / GitHub login, refreshed at the Kiro auth service
  idc,    ///< Builder ID / IAM Identity Center, refreshed at AWS SSO-OIDC
};

/// "social" or "IdC", the spellings the seed writes.
std::string_view to_string(auth_method m) noexcept;
/// Case-insensitive: social; idc, builder-id, builderid, enterprise → idc.
std::optional<auth_method> parse_auth_method(std::string_view text);

/// How a timestamp was written in the file, so it is written back the same.
enum class time_form {
  epoch_ms, ///< a JSON number of milliseconds (files the seed's code writes)
  iso8601,  ///< a string such as "2025-01-01T00:00:00.000Z" (the README)
};

struct account_credentials {
  std::string access_token;
  std::string refresh_token;
  std::string csrf_token;
  std::string client_id;
  std::string client_secret;
  /// SSO-OIDC region for IdC refresh; empty = the configured Kiro region.
  std::string region;
  /// kiro.rs `authRegion` (refresh region, wins over `region`) and
  /// `apiRegion` (the q.{region} API host); IdC `startUrl`.
  std::string auth_region;
  std::string api_region;
  std::string start_url;
  std::optional<std::int64_t> expires_at_ms;
  time_form expires_at_form = time_form::epoch_ms;
  /// Given by `authMethod`, else inferred: clientId + clientSecret ⇒ IdC.
  auth_method method = auth_method::social;
  std::string provider;
  /// From `credentials.profileArn`, or from the account's top level.
  std::string profile_arn;

  bool operator==(const account_credentials&) const = default;
};

struct usage_snapshot {
  double current = 0;
  double limit = 0;
  double percent_used = 0;
  std::optional<std::int64_t> last_updated_ms;

  bool operator==(const usage_snapshot&) const = default;
};

/// One entry of kiro-accounts.json. Empty strings and `std::nullopt` mean
/// "not set".
struct account {
  std::string id;
  /// The file had no id; the caller assigns a fresh UUID (and clears this).
  bool needs_id = false;
  std::string email;
  std::string nickname;
  std::string idp;
  account_credentials credentials;
  std::string status = "active";
  int priority = 0;
  /// `enabled`, or the negation of kiro.rs's `disabled`.
  bool enabled = true;
  std::optional<usage_snapshot> usage;
  /// Kept as the file had it (filled from getUsageLimits); null when absent.
  nlohmann::ordered_json subscription;
  std::optional<std::int64_t> last_used_at_ms;
  std::optional<std::int64_t> created_at_ms;
  std::optional<std::int64_t> last_checked_at_ms;
  std::string last_error;

  /// The object this account was read from, unknown keys included; null for
  /// accounts created in memory. render_accounts writes into it.
  nlohmann::ordered_json original;
};

/// kiro-accounts.json: `{"version","accounts":[...],"groups","tags"}` or a
/// bare array of accounts.
struct accounts_file {
  std::vector<account> accounts;
  /// The top-level document as read (object or array); null = not read from
  /// a file, rendered in the seed's object shape.
  nlohmann::ordered_json original;

  account* find(std::string_view id);
  const account* find(std::string_view id) const;
  /// Removes the account with this id; false if there is none.
  bool remove(std::string_view id);
};

/// What a new accounts file starts as.
inline constexpr std::string_view empty_accounts_document =
  R"({"version":"1.0.0","accounts":[],"groups":[],"tags":[]})";

/// Parses and validates; `file_name` only labels errors. Errors never
/// contain token values.
loaded<accounts_file> parse_accounts(std::string_view text,
                                     const std::string& file_name);

/// Reads `path`; a missing file is an empty accounts_file.
loaded<accounts_file> load_accounts(const std::string& path);

/// The checks every account must pass: a refreshToken or accessToken; IdC
/// needs clientId and clientSecret. `key` prefixes the error's key.
std::optional<config_error> validate_account(const account& a,
                                             const std::string& file = "",
                                             const std::string& key = "");

/// The file's text: known fields written into each account's original
/// object in the shape it had (flat or nested credentials, top-level
/// profileArn, `disabled` vs `enabled`, timestamp forms), unchanged fields
/// left byte-for-byte as read, new accounts in the seed's shape, removed
/// ones gone, every other key kept. Pretty-printed with 2 spaces.
std::string render_accounts(const accounts_file& file);

/// render_accounts + atomic_write_file; a new file gets mode 0600.
std::optional<config_error> save_accounts(const std::string& path,
                                          const accounts_file& file);

} // namespace kb::config
