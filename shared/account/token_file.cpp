#include <cmath>

#include <boost/json/object.hpp>

#include "shared/account/account.hpp"

#include "shared/common/ascii.hpp"
#include "shared/common/civil_time.hpp"
#include "shared/account/json_fields.hpp"

namespace kb::account {

namespace json = boost::json;
using namespace detail;

namespace {

using import_result = std::variant<credentials, std::string>;

/// expiresAt as ISO-8601 (the IDE) or an epoch number (some exporters).
std::optional<int64_t> expiry_ms(const json::value& v) {
  if (v.is_string())
    return kb::parse_iso8601_ms(v.get_string());
  if (!v.is_number())
    return std::nullopt;
  double n = v.to_number<double>();
  if (!std::isfinite(n) || n <= 0 || n > 1e14)
    return std::nullopt;
  return static_cast<int64_t>(n > 1e11 ? n : n * 1000); // ms or seconds
}

std::optional<auth_method> method_of(const json::object& token) {
  auto name = string_field(token, "authMethod");
  if (name.empty()) // kiro.rs: clientId+clientSecret ⇒ IdC, else social
    return token.contains("clientId") && token.contains("clientSecret")
             ? auth_method::idc
             : auth_method::social;
  if (equals_ci(name, "social"))
    return auth_method::social;
  if (equals_ci(name, "IdC"))
    return auth_method::idc;
  return std::nullopt;
}

/// IdC needs the client registration `{clientId, clientSecret, expiresAt}`
/// (`~/.aws/sso/cache/<clientIdHash>.json`), unless the token file carries
/// the client itself.
std::optional<std::string> add_client(credentials& c, const json::object& token,
                                      std::string_view registration_json) {
  c.client_id = string_field(token, "clientId");
  c.client_secret = string_field(token, "clientSecret");
  if (!registration_json.empty()) {
    auto reg = parse_object(registration_json);
    if (!reg)
      return "the client registration file is not a JSON object";
    c.client_id = string_field(*reg, "clientId");
    c.client_secret = string_field(*reg, "clientSecret");
  }
  if (!c.client_id.empty() && !c.client_secret.empty())
    return std::nullopt;
  if (registration_json.empty())
    return "an IdC token needs its client registration file (~/.aws/sso/cache/" +
           (string_field(token, "clientIdHash").empty()
              ? std::string{"<clientIdHash>"}
              : string_field(token, "clientIdHash")) +
           ".json)";
  return "the client registration file has no clientId or clientSecret";
}

} // namespace

std::variant<credentials, std::string>
parse_kiro_auth_token_file(std::string_view token_json,
                           std::string_view client_registration_json) {
  auto token = parse_object(token_json);
  if (!token)
    return std::string{"the token file is not a JSON object"};
  credentials c;
  c.refresh_token = string_field(*token, "refreshToken");
  if (c.refresh_token.empty())
    return std::string{"the token file has no refreshToken"};
  c.access_token = string_field(*token, "accessToken");
  if (auto* exp = token->if_contains("expiresAt")) {
    auto ms = expiry_ms(*exp);
    if (!ms)
      return std::string{"the token file's expiresAt is not an ISO-8601 time"};
    c.expires_at_ms = *ms;
  }
  auto method = method_of(*token);
  if (!method)
    return "unsupported authMethod \"" + string_field(*token, "authMethod").substr(0, 40) +
           "\" (expected \"social\" or \"IdC\")";
  c.method = *method;
  c.region = string_field(*token, "region");
  c.auth_region = string_field(*token, "authRegion"); // kiro.rs credentials.rs
  c.api_region = string_field(*token, "apiRegion");
  c.start_url = string_field(*token, "startUrl");
  c.provider = string_field(*token, "provider");
  // Enterprise IdC needs its profile ARN as much as a social login does.
  c.profile_arn = string_field(*token, "profileArn");
  if (c.method == auth_method::social)
    return c;
  if (auto problem = add_client(c, *token, client_registration_json))
    return std::move(*problem);
  return c;
}

} // namespace kb::account
