#include "services/supervisor/account_record.hpp"

namespace kb::sup {

account::credentials credentials_of(const config::account& rec) {
  auto& c = rec.credentials;
  account::credentials out;
  out.access_token = c.access_token;
  out.refresh_token = c.refresh_token;
  out.client_id = c.client_id;
  out.client_secret = c.client_secret;
  out.region = c.region;
  out.auth_region = c.auth_region;
  out.api_region = c.api_region;
  out.start_url = c.start_url;
  out.provider = c.provider;
  out.profile_arn = c.profile_arn;
  out.expires_at_ms = c.expires_at_ms.value_or(0);
  out.method = c.method == config::auth_method::idc ? account::auth_method::idc
                                                    : account::auth_method::social;
  return out;
}

void store_credentials(config::account& rec, const account::credentials& c) {
  rec.credentials.access_token = c.access_token;
  rec.credentials.refresh_token = c.refresh_token;
  rec.credentials.profile_arn = c.profile_arn;
  if (c.expires_at_ms > 0)
    rec.credentials.expires_at_ms = c.expires_at_ms;
}

void store_usage(config::account& rec, const account::usage_limits& u,
                 int64_t now_ms) {
  config::usage_snapshot snap;
  snap.current = u.used;
  snap.limit = u.limit;
  snap.percent_used = u.percent_used;
  snap.last_updated_ms = now_ms;
  rec.usage = snap;
  rec.last_checked_at_ms = now_ms;
  if (rec.email.empty() && !u.email.empty())
    rec.email = u.email;
}

bool store_status(config::account& rec, std::string_view state,
                  std::string_view last_error) {
  // A cooldown is too short-lived to be worth writing; the seed's tools
  // know "active" and "error", and read other values as not active.
  std::string status = state == "cooldown" ? "active" : std::string{state};
  if (rec.status == status && rec.last_error == last_error)
    return false;
  rec.status = std::move(status);
  rec.last_error = std::string{last_error};
  return true;
}

} // namespace kb::sup
