#include "shared/config/accounts.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "shared/config/file_io.hpp"
#include "shared/common/civil_time.hpp"
#include "shared/config/json_fields.hpp"

namespace kb::config {

namespace {

using ojson = nlohmann::ordered_json;
using reader = detail::field_reader<ojson>;

constexpr std::int64_t max_priority = 1000000;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// -- reading ------------------------------------------------------------------

/// Epoch milliseconds from a number or an ISO-8601 string; null = unset.
std::optional<std::int64_t> read_time(reader& r, std::string_view key,
                                      time_form* form = nullptr) {
  const ojson* v = r.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string()) {
    auto ms = parse_iso8601_ms(v->get_ref<const std::string&>());
    if (!ms) {
      r.fail_key(key, "expected epoch milliseconds or an ISO-8601 time "
                      "such as 2025-01-01T00:00:00.000Z");
      return std::nullopt;
    }
    if (form) *form = time_form::iso8601;
    return ms;
  }
  if (v->is_number_float()) {
    // JavaScript may write fractional milliseconds; keep whole ones.
    double d = v->get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9.0e15) {
      r.fail_key(key, "expected epoch milliseconds in range");
      return std::nullopt;
    }
    if (form) *form = time_form::epoch_ms;
    return static_cast<std::int64_t>(d);
  }
  if (v->is_number()) {
    auto ms = r.integer_of(key, *v, std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max());
    if (ms && form) *form = time_form::epoch_ms;
    return ms;
  }
  r.fail_type(key, "epoch milliseconds or an ISO-8601 string", *v);
  return std::nullopt;
}

/// Where the credential fields of an account object live.
enum class credentials_place {
  nested, ///< in `credentials{}`
  flat,   ///< directly in the account object (kiro.rs / kiro2api pools)
};

credentials_place place_of_credentials(const ojson& account_object) {
  if (account_object.contains("credentials")) return credentials_place::nested;
  if (account_object.contains("refreshToken") ||
      account_object.contains("accessToken"))
    return credentials_place::flat;
  return credentials_place::nested;
}

void read_credentials(reader& r, account_credentials& c) {
  r.read("accessToken", c.access_token, true);
  r.read("refreshToken", c.refresh_token, true);
  r.read("csrfToken", c.csrf_token, true);
  r.read("clientId", c.client_id, true);
  r.read("clientSecret", c.client_secret, true);
  r.read("region", c.region, true);
  r.read("authRegion", c.auth_region, true);
  r.read("apiRegion", c.api_region, true);
  r.read("startUrl", c.start_url, true);
  r.read("provider", c.provider, true);
  r.read("profileArn", c.profile_arn, true);
  c.expires_at_ms = read_time(r, "expiresAt", &c.expires_at_form);

  std::string method;
  if (r.read("authMethod", method, true) && !method.empty()) {
    auto parsed = parse_auth_method(method);
    if (!parsed) {
      r.fail_key("authMethod", "expected social or IdC");
      return;
    }
    c.method = *parsed;
  } else {
    c.method = !c.client_id.empty() && !c.client_secret.empty()
                 ? auth_method::idc
                 : auth_method::social;
  }
}

void read_usage(reader& r, std::optional<usage_snapshot>& out) {
  const ojson* v = r.find("usage");
  if (!v || v->is_null()) return;
  if (!v->is_object()) {
    r.fail_type("usage", "an object", *v);
    return;
  }
  reader u(r.file(), r.key_path("usage"), *v);
  usage_snapshot snapshot;
  u.read("current", snapshot.current);
  u.read("limit", snapshot.limit);
  u.read("percentUsed", snapshot.percent_used);
  snapshot.last_updated_ms = read_time(u, "lastUpdated");
  if (u.error()) {
    r.fail(*u.error());
    return;
  }
  out = snapshot;
}

/// The known fields of one account object; the first type error, if any.
std::optional<config_error> read_account(const ojson& object,
                                         const std::string& file,
                                         const std::string& key, account& a) {
  if (!object.is_object())
    return detail::type_error(file, key, "an object", object);
  reader r(file, key, object);
  r.read("id", a.id, true);
  a.needs_id = a.id.empty();
  r.read("email", a.email, true);
  r.read("nickname", a.nickname, true);
  r.read("idp", a.idp, true);
  r.read("status", a.status, true);
  r.read_int("priority", a.priority, -max_priority, max_priority);
  bool enabled = true;
  bool disabled = false;
  r.read("enabled", enabled);
  r.read("disabled", disabled);
  a.enabled = enabled && !disabled;
  r.read("lastError", a.last_error, true);
  a.last_used_at_ms = read_time(r, "lastUsedAt");
  a.created_at_ms = read_time(r, "createdAt");
  a.last_checked_at_ms = read_time(r, "lastCheckedAt");
  read_usage(r, a.usage);
  if (const ojson* sub = r.find("subscription")) a.subscription = *sub;
  if (r.error()) return r.error();

  if (place_of_credentials(object) == credentials_place::flat) {
    read_credentials(r, a.credentials);
    if (r.error()) return r.error();
  } else if (const ojson* creds = r.find("credentials")) {
    if (!creds->is_object())
      return detail::type_error(file, r.key_path("credentials"), "an object",
                                *creds);
    reader c(file, r.key_path("credentials"), *creds);
    read_credentials(c, a.credentials);
    if (c.error()) return c.error();
  }
  if (a.credentials.profile_arn.empty())
    r.read("profileArn", a.credentials.profile_arn, true);
  return r.error();
}

std::string credentials_key(const account& a, const std::string& key) {
  if (a.original.is_object() &&
      place_of_credentials(a.original) == credentials_place::flat)
    return key;
  return detail::join_key(key, "credentials");
}

// -- writing ------------------------------------------------------------------

/// Writes `now` at `key` when it differs from `before`; empty erases.
void put_string(ojson& obj, const char* key, const std::string& now,
                const std::string& before) {
  if (now == before) return;
  if (now.empty()) obj.erase(key);
  else obj[key] = now;
}

/// Writes a timestamp in the form `form`, or in the form the key already has.
void put_time(ojson& obj, const char* key, std::optional<std::int64_t> now,
              std::optional<std::int64_t> before,
              std::optional<time_form> form = std::nullopt) {
  if (now == before && !form) return;
  if (!now) {
    obj.erase(key);
    return;
  }
  bool as_string = form ? *form == time_form::iso8601
                        : obj.contains(key) && obj[key].is_string();
  if (as_string) obj[key] = format_iso8601_ms(*now);
  else obj[key] = *now;
}

void write_credentials(ojson& container, const account_credentials& now,
                       const account_credentials& before, bool fresh) {
  put_string(container, "accessToken", now.access_token, before.access_token);
  put_string(container, "refreshToken", now.refresh_token, before.refresh_token);
  put_string(container, "csrfToken", now.csrf_token, before.csrf_token);
  put_string(container, "clientId", now.client_id, before.client_id);
  put_string(container, "clientSecret", now.client_secret, before.client_secret);
  put_string(container, "region", now.region, before.region);
  put_string(container, "authRegion", now.auth_region, before.auth_region);
  put_string(container, "apiRegion", now.api_region, before.api_region);
  put_string(container, "startUrl", now.start_url, before.start_url);
  bool expiry_changed = now.expires_at_ms != before.expires_at_ms ||
                        now.expires_at_form != before.expires_at_form;
  if (expiry_changed)
    put_time(container, "expiresAt", now.expires_at_ms, before.expires_at_ms,
             now.expires_at_form);
  if (fresh || now.method != before.method)
    container["authMethod"] = std::string(to_string(now.method));
  put_string(container, "provider", now.provider, before.provider);
}

void write_usage(ojson& obj, const std::optional<usage_snapshot>& now,
                 const std::optional<usage_snapshot>& before) {
  if (now == before) return;
  if (!now) {
    obj.erase("usage");
    return;
  }
  ojson usage = obj.contains("usage") && obj["usage"].is_object()
                  ? obj["usage"]
                  : ojson::object();
  const usage_snapshot old = before.value_or(usage_snapshot{});
  bool whole = !before;
  if (whole || now->current != old.current) usage["current"] = now->current;
  if (whole || now->limit != old.limit) usage["limit"] = now->limit;
  if (whole || now->percent_used != old.percent_used)
    usage["percentUsed"] = now->percent_used;
  put_time(usage, "lastUpdated", now->last_updated_ms, old.last_updated_ms);
  obj["usage"] = std::move(usage);
}

void write_enabled(ojson& obj, bool now, bool before) {
  if (now == before) return;
  bool has_enabled = obj.contains("enabled");
  bool has_disabled = obj.contains("disabled");
  if (has_disabled) obj["disabled"] = !now;
  if (has_enabled || !has_disabled) obj["enabled"] = now;
}

/// The account as it was read from `original`, to see which fields changed.
account baseline_of(const account& a) {
  account before;
  if (!a.original.is_object() ||
      read_account(a.original, "", "", before).has_value())
    before = account{};
  return before;
}

ojson render_account(const account& a) {
  const bool fresh = !a.original.is_object();
  ojson out = fresh ? ojson::object() : a.original;
  account before = baseline_of(a);
  if (fresh) before.status.clear(); // a new account states its status

  put_string(out, "id", a.id, before.id);
  put_string(out, "email", a.email, before.email);
  put_string(out, "nickname", a.nickname, before.nickname);
  put_string(out, "idp", a.idp, before.idp);

  const account_credentials& now_c = a.credentials;
  const account_credentials& old_c = before.credentials;
  const bool flat = !fresh && place_of_credentials(out) == credentials_place::flat;
  if (flat) {
    write_credentials(out, now_c, old_c, fresh);
  } else {
    ojson creds = out.contains("credentials") && out["credentials"].is_object()
                    ? out["credentials"]
                    : ojson::object();
    write_credentials(creds, now_c, old_c, fresh);
    // Seed files may carry profileArn beside credentials; update it there.
    if (!creds.contains("profileArn") && out.contains("profileArn")) {
      put_string(out, "profileArn", now_c.profile_arn, old_c.profile_arn);
    } else {
      put_string(creds, "profileArn", now_c.profile_arn, old_c.profile_arn);
    }
    out["credentials"] = std::move(creds);
  }
  if (flat) put_string(out, "profileArn", now_c.profile_arn, old_c.profile_arn);

  if (a.subscription != before.subscription) {
    if (a.subscription.is_null()) out.erase("subscription");
    else out["subscription"] = a.subscription;
  }
  write_usage(out, a.usage, before.usage);
  put_string(out, "status", a.status, before.status);
  if (a.priority != before.priority) out["priority"] = a.priority;
  write_enabled(out, a.enabled, before.enabled);
  put_time(out, "createdAt", a.created_at_ms, before.created_at_ms);
  put_time(out, "lastUsedAt", a.last_used_at_ms, before.last_used_at_ms);
  put_time(out, "lastCheckedAt", a.last_checked_at_ms,
           before.last_checked_at_ms);
  put_string(out, "lastError", a.last_error, before.last_error);
  return out;
}

} // namespace

std::string_view to_string(auth_method m) noexcept {
  return m == auth_method::idc ? "IdC" : "social";
}

std::optional<auth_method> parse_auth_method(std::string_view text) {
  std::string m = lowercase(text);
  if (m == "social") return auth_method::social;
  if (m == "idc" || m == "builder-id" || m == "builderid" ||
      m == "enterprise")
    return auth_method::idc;
  return std::nullopt;
}

account* accounts_file::find(std::string_view id) {
  auto it = std::find_if(accounts.begin(), accounts.end(),
                         [&](const account& a) { return a.id == id; });
  return it == accounts.end() ? nullptr : &*it;
}

const account* accounts_file::find(std::string_view id) const {
  return const_cast<accounts_file*>(this)->find(id);
}

bool accounts_file::remove(std::string_view id) {
  auto it = std::find_if(accounts.begin(), accounts.end(),
                         [&](const account& a) { return a.id == id; });
  if (it == accounts.end()) return false;
  accounts.erase(it);
  return true;
}

std::optional<config_error> validate_account(const account& a,
                                             const std::string& file,
                                             const std::string& key) {
  const std::string where = credentials_key(a, key);
  const auto& c = a.credentials;
  if (c.refresh_token.empty() && c.access_token.empty())
    return detail::make_error(file, where,
                              "needs a refreshToken or an accessToken");
  if (c.method == auth_method::idc &&
      (c.client_id.empty() || c.client_secret.empty()))
    return detail::make_error(file, where,
                              "authMethod IdC needs clientId and clientSecret");
  return std::nullopt;
}

loaded<accounts_file> parse_accounts(std::string_view text,
                                     const std::string& file_name) {
  auto doc = detail::parse_document<ojson>(text, file_name);
  if (!doc) return doc.error();

  const ojson* list = nullptr;
  if (doc->is_array()) {
    list = &*doc;
  } else if (doc->is_object()) {
    auto it = doc->find("accounts");
    if (it == doc->end())
      return detail::make_error(file_name, "accounts",
                                "missing (expected an array of accounts)");
    if (!it->is_array())
      return detail::type_error(file_name, "accounts", "an array", *it);
    list = &*it;
  } else {
    return detail::type_error(file_name, "", "an object or an array", *doc);
  }

  accounts_file out;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string key = detail::index_key("accounts", i);
    account a;
    a.original = (*list)[i];
    if (auto err = read_account(a.original, file_name, key, a)) return *err;
    if (auto err = validate_account(a, file_name, key)) return *err;
    if (!a.id.empty() && !ids.insert(a.id).second)
      return detail::make_error(file_name, key + ".id",
                                "duplicate id \"" + a.id + "\"");
    out.accounts.push_back(std::move(a));
  }
  out.original = std::move(*doc);
  return out;
}

loaded<accounts_file> load_accounts(const std::string& path) {
  auto text = read_optional_file(path);
  if (!text) return text.error();
  if (!text.value()) return accounts_file{};
  return parse_accounts(*text.value(), path);
}

std::string render_accounts(const accounts_file& file) {
  ojson list = ojson::array();
  for (const auto& a : file.accounts) list.push_back(render_account(a));

  ojson doc;
  if (file.original.is_array()) {
    doc = std::move(list);
  } else {
    doc = file.original.is_object() ? file.original
                                    : ojson::parse(empty_accounts_document);
    doc["accounts"] = std::move(list);
  }
  return doc.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

std::optional<config_error> save_accounts(const std::string& path,
                                          const accounts_file& file) {
  // Tokens: 0600 always, never the old file's mode (issue 18.5).
  auto err = atomic_write_secret_file(path, render_accounts(file));
  if (!err) remove_stale_temp_files(path);
  return err;
}

} // namespace kb::config
