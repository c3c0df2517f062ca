#pragma once

// Turns admin API bodies into the seed's account objects that the
// supervisor's `(add, json)` takes. Error messages never hold a token.

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace kb::admin {

/// `POST /api/accounts`: `{accessToken?, refreshToken?, email?, nickname?,
/// region?, expiresAt? (ms or ISO-8601), authMethod?, provider?, clientId?,
/// clientSecret?, priority?}` → `{email, credentials{...}, priority}`.
std::variant<nlohmann::json, std::string>
account_from_add_request(const nlohmann::json& body);

/// `POST /api/accounts/import`, one of:
/// - the seed's accounts file (`{"accounts":[...]}` or a bare array);
/// - `{"token": <kiro-auth-token.json>, "clientRegistration"?: {...},
///   "email"?, "priority"?}`;
/// - a bare kiro-auth-token.json object (social only).
/// → the account objects to add, in order.
std::variant<std::vector<nlohmann::json>, std::string>
accounts_from_import(const nlohmann::json& body);

/// `{"priority"?: int, "enabled"?: bool, "email"?: str, "nickname"?: str}`
/// checked and passed on; anything else is refused.
std::variant<nlohmann::json, std::string>
account_patch(const nlohmann::json& body);

} // namespace kb::admin
