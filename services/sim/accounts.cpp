#include "services/sim/accounts.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "services/sim/ids.hpp"
#include "shared/common/json_text.hpp"

namespace kb::sim {

namespace json = boost::json;

namespace {

result<std::string> optional_string(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  if (!v || v->is_null())
    return std::string{};
  if (!v->is_string())
    return invalid_request("account field `" + std::string(key) + "` must be a string");
  return std::string(v->get_string());
}

result<int64_t> optional_int(const json::object& obj, std::string_view key, int64_t fallback) {
  auto* v = obj.if_contains(key);
  if (!v || v->is_null())
    return fallback;
  if (v->is_int64())
    return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v->get_uint64());
  if (v->is_double() && v->get_double() >= 0 && v->get_double() < 9.0e15)
    return static_cast<int64_t>(v->get_double());
  return invalid_request("account field `" + std::string(key) + "` must be an integer");
}

std::string oidc_error(std::string_view error, std::string_view description) {
  std::string out = "{\"error\":";
  append_json_string(out, error);
  out += ",\"error_description\":";
  append_json_string(out, description);
  out += '}';
  return out;
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<json::object> parse_object(std::string_view body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  return std::move(v.get_object());
}

std::string string_or_empty(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string{};
}

} // namespace

result<account_spec> parse_account(const json::value& v) {
  auto* obj = v.if_object();
  if (!obj)
    return invalid_request("an account must be a JSON object");
  account_spec spec;
  auto id = optional_string(*obj, "id");
  auto access = optional_string(*obj, "accessToken");
  auto refresh = optional_string(*obj, "refreshToken");
  auto method = optional_string(*obj, "authMethod");
  auto client_id = optional_string(*obj, "clientId");
  auto client_secret = optional_string(*obj, "clientSecret");
  auto arn = optional_string(*obj, "profileArn");
  auto email = optional_string(*obj, "email");
  auto kind = optional_string(*obj, "kind");
  auto provider = optional_string(*obj, "provider");
  auto start_url = optional_string(*obj, "startUrl");
  for (auto* r : {&id, &access, &refresh, &method, &client_id, &client_secret, &arn, &email,
                  &kind, &provider, &start_url})
    if (!r->ok())
      return r->error();
  auto expires = optional_int(*obj, "accessTokenExpiresInSeconds", 3600);
  auto limit = optional_int(*obj, "usageLimit", 500);
  auto usage = optional_int(*obj, "currentUsage", 0);
  for (auto* r : {&expires, &limit, &usage})
    if (!r->ok())
      return r->error();
  if (id->empty())
    return invalid_request("account `id` is required");
  if (access->empty())
    return invalid_request("account `accessToken` is required");
  if (refresh->empty())
    return invalid_request("account `refreshToken` is required");
  std::string m = lowercase(*method);
  if (m.empty())
    spec.method = client_id->empty() ? auth_method::social : auth_method::idc;
  else if (m == "social")
    spec.method = auth_method::social;
  else if (m == "idc" || m == "builder-id" || m == "enterprise")
    spec.method = auth_method::idc;
  else
    return invalid_request("account `authMethod` must be social, IdC, builder-id or enterprise");
  std::string k = kind->empty() ? m : lowercase(*kind);
  if (spec.method == auth_method::social)
    spec.kind = account_kind::social;
  else if (k == "enterprise" || lowercase(*provider) == "enterprise" ||
           (!start_url->empty() && *start_url != "https://view.awsapps.com/start"))
    spec.kind = account_kind::enterprise;
  else if (k.empty() || k == "idc" || k == "builder-id")
    spec.kind = account_kind::builder_id;
  else
    return invalid_request("account `kind` must be social, builder-id or enterprise");
  if (spec.method == auth_method::idc && (client_id->empty() || client_secret->empty()))
    return invalid_request("an IdC account needs clientId and clientSecret");
  spec.id = std::move(*id);
  spec.access_token = std::move(*access);
  spec.refresh_token = std::move(*refresh);
  spec.client_id = std::move(*client_id);
  spec.client_secret = std::move(*client_secret);
  spec.profile_arn = std::move(*arn);
  if (spec.profile_arn.empty() && spec.kind == account_kind::social)
    spec.profile_arn = std::string(shared_social_profile_arn);
  if (spec.profile_arn.empty() && spec.kind == account_kind::enterprise)
    spec.profile_arn = "arn:aws:codewhisperer:us-east-1:111122223333:profile/SIM" + spec.id;
  spec.email = std::move(*email);
  auto subscription = optional_string(*obj, "subscription");
  if (!subscription.ok())
    return subscription.error();
  if (!subscription->empty())
    spec.subscription = std::move(*subscription);
  spec.access_token_expires_in = *expires;
  spec.usage_limit = *limit;
  spec.current_usage = *usage;
  return spec;
}

result<std::vector<account_spec>> parse_accounts(std::string_view json_text) {
  json::error_code ec;
  auto v = json::parse(json_text, ec);
  if (ec)
    return invalid_request("accounts are not valid JSON: " + ec.message());
  std::vector<account_spec> out;
  if (v.is_object()) {
    auto one = parse_account(v);
    if (!one)
      return one.error();
    out.push_back(std::move(*one));
    return out;
  }
  if (!v.is_array())
    return invalid_request("accounts must be a JSON array");
  for (const auto& item : v.get_array()) {
    auto one = parse_account(item);
    if (!one)
      return one.error();
    out.push_back(std::move(*one));
  }
  return out;
}

std::string_view to_string(account_kind k) noexcept {
  switch (k) {
  case account_kind::social: return "social";
  case account_kind::builder_id: return "builder-id";
  case account_kind::enterprise: return "enterprise";
  }
  return "social";
}

token_reply account_book::list_profiles(const account_state& acc) const {
  if (acc.spec.kind == account_kind::builder_id) {
    auto r = builder_id_not_supported();
    return {r.status, r.body, acc.spec.id};
  }
  json::object profile{{"arn", acc.spec.profile_arn}, {"profileName", "kiro-sim-" + acc.spec.id}};
  json::object out{{"profiles", json::array{profile}}, {"nextToken", nullptr}};
  return {200, json::serialize(out), acc.spec.id};
}

std::string_view to_string(auth_failure f) noexcept {
  switch (f) {
  case auth_failure::missing: return "bearer_missing";
  case auth_failure::unknown: return "bearer_unknown";
  case auth_failure::expired: return "bearer_expired";
  }
  return "bearer_unknown";
}

account_book::account_book(uint64_t token_seed) : seed_(token_seed) {}

void account_book::forget_tokens_of(std::string_view id) {
  std::erase_if(access_tokens_, [id](const auto& kv) { return kv.second.account_id == id; });
  std::erase_if(refresh_tokens_, [id](const auto& kv) { return kv.second == id; });
}

void account_book::upsert(const account_spec& spec, int64_t now) {
  forget_tokens_of(spec.id);
  // A token reused by another account moves to this one, like a re-login.
  if (auto it = access_tokens_.find(spec.access_token); it != access_tokens_.end())
    access_tokens_.erase(it);
  account_state st{spec, spec.refresh_token, spec.current_usage, 0};
  if (st.spec.method == auth_method::social && st.spec.profile_arn.empty())
    st.spec.profile_arn = std::string(shared_social_profile_arn);
  accounts_.insert_or_assign(spec.id, std::move(st));
  access_tokens_[spec.access_token] = {spec.id, now + spec.access_token_expires_in};
  refresh_tokens_[spec.refresh_token] = spec.id;
}

account_book::auth_result account_book::authenticate(std::string_view access_token,
                                                     int64_t now) const {
  if (access_token.empty())
    return {nullptr, auth_failure::missing};
  auto it = access_tokens_.find(std::string(access_token));
  if (it == access_tokens_.end())
    return {nullptr, auth_failure::unknown};
  if (now >= it->second.expires_at)
    return {nullptr, auth_failure::expired};
  auto acc = accounts_.find(it->second.account_id);
  if (acc == accounts_.end())
    return {nullptr, auth_failure::unknown};
  return {&acc->second, auth_failure::unknown};
}

const account_state* account_book::find(std::string_view id) const {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second;
}

account_state* account_book::find_mutable(std::string_view id) {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second;
}

std::vector<std::string> account_book::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, _] : accounts_)
    out.push_back(id);
  return out;
}

std::string account_book::mint(std::string_view prefix, size_t hex_digits) {
  return std::string(prefix) + pseudo_random_hex(seed_, ++minted_, hex_digits);
}

std::string account_book::refresh(account_state& acc, int64_t now) {
  for (auto& [token, entry] : access_tokens_)
    if (entry.account_id == acc.spec.id)
      entry.expires_at = std::min(entry.expires_at, now + policy_.old_token_grace_seconds);
  std::erase_if(access_tokens_, [now](const auto& kv) { return kv.second.expires_at <= now; });
  std::string fresh = mint("aoaSIM", 96);
  access_tokens_[fresh] = {acc.spec.id, now + policy_.issued_expires_in};
  if (policy_.rotate_refresh_token) {
    refresh_tokens_.erase(acc.refresh_token);
    acc.refresh_token = mint("aorSIM", 120);
    refresh_tokens_[acc.refresh_token] = acc.spec.id;
  }
  ++acc.refresh_count;
  return fresh;
}


token_reply account_book::refresh_social(std::string_view body, int64_t now) {
  auto obj = parse_object(body);
  std::string presented = obj ? string_or_empty(*obj, "refreshToken") : std::string{};
  if (presented.empty())
    return {400, kiro_error_body("Invalid request: refreshToken is required.", ""), {}};
  auto it = refresh_tokens_.find(presented);
  account_state* acc = it == refresh_tokens_.end() ? nullptr : find_mutable(it->second);
  if (!acc || acc->spec.method != auth_method::social)
    return {401, kiro_error_body("Invalid refresh token provided.", "INVALID_REFRESH_TOKEN"), {}};
  std::string fresh = refresh(*acc, now);
  json::object out{{"accessToken", fresh},
                   {"refreshToken", acc->refresh_token},
                   {"profileArn", acc->spec.profile_arn},
                   {"expiresIn", policy_.issued_expires_in}};
  return {200, json::serialize(out), acc->spec.id};
}

token_reply account_book::refresh_idc(std::string_view body, int64_t now) {
  auto obj = parse_object(body);
  if (!obj)
    return {400, oidc_error("invalid_request", "Request body is not valid JSON"), {}};
  std::string client_id = string_or_empty(*obj, "clientId");
  std::string client_secret = string_or_empty(*obj, "clientSecret");
  std::string presented = string_or_empty(*obj, "refreshToken");
  std::string grant = string_or_empty(*obj, "grantType");
  if (client_id.empty() || client_secret.empty())
    return {400, oidc_error("invalid_request", "clientId and clientSecret are required"), {}};
  if (grant != "refresh_token")
    return {400, oidc_error("unsupported_grant_type", "Unsupported grant type"), {}};
  const bool client_known = std::any_of(accounts_.begin(), accounts_.end(), [&](const auto& kv) {
    return kv.second.spec.method == auth_method::idc && kv.second.spec.client_id == client_id &&
           kv.second.spec.client_secret == client_secret;
  });
  if (!client_known)
    return {401, oidc_error("invalid_client", "Invalid client provided"), {}};
  auto it = refresh_tokens_.find(presented);
  account_state* acc = it == refresh_tokens_.end() ? nullptr : find_mutable(it->second);
  if (!acc || acc->spec.method != auth_method::idc || acc->spec.client_id != client_id)
    return {400, oidc_error("invalid_grant", "Invalid refresh token provided"), {}};
  std::string fresh = refresh(*acc, now);
  json::object out{{"accessToken", fresh},
                   {"refreshToken", acc->refresh_token},
                   {"expiresIn", policy_.issued_expires_in},
                   {"tokenType", "Bearer"}};
  return {200, json::serialize(out), acc->spec.id};
}

bool account_book::expire(std::string_view id, int64_t now) {
  if (!find(id))
    return false;
  for (auto& [token, entry] : access_tokens_)
    if (entry.account_id == id)
      entry.expires_at = std::min(entry.expires_at, now);
  return true;
}

void account_book::count_request(std::string_view id) {
  if (auto* acc = find_mutable(id))
    ++acc->usage;
}

void account_book::exhaust(std::string_view id) {
  if (auto* acc = find_mutable(id))
    acc->usage = std::max(acc->usage, acc->spec.usage_limit);
}

bool account_book::is_exhausted(std::string_view id) const {
  auto* acc = find(id);
  return acc && acc->usage >= acc->spec.usage_limit;
}

void account_book::reset_usage() {
  for (auto& [id, acc] : accounts_)
    acc.usage = acc.spec.current_usage;
}

} // namespace kb::sim
