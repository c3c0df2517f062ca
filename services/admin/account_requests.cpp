#include "services/admin/account_requests.hpp"

#include "shared/account/account.hpp"

namespace kb::admin {

namespace {

using nlohmann::json;

bool is_nonempty_string(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() && !it->get<std::string>().empty();
}

/// Copies `key` if it is a string; an error for any other type.
std::optional<std::string> copy_string(const json& from, const char* key, json& to) {
  auto it = from.find(key);
  if (it == from.end() || it->is_null())
    return std::nullopt;
  if (!it->is_string())
    return std::string{key} + " must be a string";
  to[key] = *it;
  return std::nullopt;
}

json account_of(const account::credentials& c) {
  json creds = {{"accessToken", c.access_token},
                {"refreshToken", c.refresh_token},
                {"authMethod", c.method == account::auth_method::idc ? "IdC" : "social"}};
  if (!c.client_id.empty())
    creds["clientId"] = c.client_id;
  if (!c.client_secret.empty())
    creds["clientSecret"] = c.client_secret;
  if (!c.region.empty())
    creds["region"] = c.region;
  if (!c.profile_arn.empty())
    creds["profileArn"] = c.profile_arn;
  // What tells an enterprise IdC account from a Builder ID one, and where it
  // refreshes and calls (shared/account/profiles.cpp).
  if (!c.auth_region.empty())
    creds["authRegion"] = c.auth_region;
  if (!c.api_region.empty())
    creds["apiRegion"] = c.api_region;
  if (!c.start_url.empty())
    creds["startUrl"] = c.start_url;
  if (!c.provider.empty())
    creds["provider"] = c.provider;
  if (c.expires_at_ms > 0)
    creds["expiresAt"] = c.expires_at_ms;
  return {{"credentials", creds}};
}

/// email / nickname / priority beside an import or add body.
std::optional<std::string> copy_profile(const json& from, json& to) {
  for (auto key : {"email", "nickname"})
    if (auto err = copy_string(from, key, to))
      return err;
  if (auto it = from.find("priority"); it != from.end() && !it->is_null()) {
    if (!it->is_number_integer())
      return std::string{"priority must be an integer"};
    to["priority"] = *it;
  }
  return std::nullopt;
}

} // namespace

std::variant<json, std::string> account_from_add_request(const json& body) {
  if (!body.is_object())
    return std::string{"the body must be a JSON object"};
  if (!is_nonempty_string(body, "refreshToken") && !is_nonempty_string(body, "accessToken"))
    return std::string{"refreshToken (or accessToken) is required"};
  json creds = json::object();
  for (auto key : {"accessToken", "refreshToken", "region", "authRegion", "apiRegion",
                   "startUrl", "authMethod", "provider", "clientId", "clientSecret"})
    if (auto err = copy_string(body, key, creds))
      return *err;
  if (auto it = body.find("expiresAt"); it != body.end() && !it->is_null()) {
    if (!it->is_string() && !it->is_number_integer())
      return std::string{"expiresAt must be epoch milliseconds or an ISO-8601 string"};
    creds["expiresAt"] = *it;
  }
  json out = {{"credentials", creds}};
  if (auto err = copy_profile(body, out))
    return *err;
  return out;
}

std::variant<std::vector<json>, std::string> accounts_from_import(const json& body) {
  const json* list = nullptr;
  if (body.is_array())
    list = &body;
  else if (body.is_object() && body.contains("accounts"))
    list = &body["accounts"];
  if (list) {
    if (!list->is_array())
      return std::string{"accounts must be an array"};
    if (list->empty())
      return std::string{"the accounts file holds no account"};
    std::vector<json> out;
    for (size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_object())
        return "accounts[" + std::to_string(i) + "] is not an object";
      out.push_back((*list)[i]);
    }
    return out;
  }
  if (!body.is_object())
    return std::string{"expected an accounts file, a kiro-auth-token.json object, "
                       "or {\"token\":..., \"clientRegistration\":...}"};
  const json& token = body.contains("token") ? body["token"] : body;
  if (!token.is_object())
    return std::string{"token must be the kiro-auth-token.json object"};
  std::string registration;
  if (auto it = body.find("clientRegistration"); it != body.end() && !it->is_null()) {
    if (!it->is_object())
      return std::string{"clientRegistration must be the client registration object"};
    registration = it->dump();
  }
  auto parsed = account::parse_kiro_auth_token_file(token.dump(), registration);
  if (auto* err = std::get_if<std::string>(&parsed))
    return *err;
  auto out = account_of(std::get<account::credentials>(parsed));
  if (body.contains("token"))
    if (auto err = copy_profile(body, out))
      return *err;
  return std::vector<json>{out};
}

std::variant<json, std::string> account_patch(const json& body) {
  if (!body.is_object() || body.empty())
    return std::string{"the body must be a JSON object with priority and/or enabled"};
  for (auto& [key, value] : body.items()) {
    if (key == "priority" && value.is_number_integer())
      continue;
    if (key == "enabled" && value.is_boolean())
      continue;
    if ((key == "email" || key == "nickname") && value.is_string())
      continue;
    return key + ": not an editable field of the right type (priority: integer, "
                 "enabled: boolean, email/nickname: string)";
  }
  return body;
}

} // namespace kb::admin
