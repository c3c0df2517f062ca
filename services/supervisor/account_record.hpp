#pragma once

// Between the accounts file's records (shared/config) and the runtime
// credentials and usage (shared/account): what the supervisor reads at
// start and writes back when tokens rotate or state changes.

#include <string>
#include <string_view>

#include "shared/account/account.hpp"
#include "shared/config/accounts.hpp"

namespace kb::sup {

account::credentials credentials_of(const config::account& rec);
void store_credentials(config::account& rec, const account::credentials& c);
void store_usage(config::account& rec, const account::usage_limits& u,
                 int64_t now_ms);
/// Writes the live state into the seed's `status`/`lastError` fields;
/// returns whether anything changed (and so needs saving).
bool store_status(config::account& rec, std::string_view state,
                  std::string_view last_error);

inline const std::string& id_of(const config::account& rec) { return rec.id; }
inline const std::string& email_of(const config::account& rec) { return rec.email; }
inline int priority_of(const config::account& rec) { return rec.priority; }
inline bool enabled(const config::account& rec) { return rec.enabled; }
inline double percent_used_of(const config::account& rec) {
  return rec.usage ? rec.usage->percent_used : 0;
}

inline std::string render_accounts_file(const config::accounts_file& f) {
  return config::render_accounts(f);
}

} // namespace kb::sup
