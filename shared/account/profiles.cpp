// Kiro's account kinds and what each sends: the profileArn rule, the
// refresh and API regions, ListAvailableProfiles.

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "shared/account/account.hpp"
#include "shared/account/json_fields.hpp"
#include "shared/common/ascii.hpp"
#include "shared/upstream/failures.hpp"

namespace kb::account {

using namespace detail;

namespace {

std::string trimmed_base(std::string_view url) {
  std::string base{url};
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base;
}

bool is_region_name(std::string_view r) {
  if (r.empty() || r.size() > 32)
    return false;
  for (char ch : r)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
      return false;
  return true;
}

/// `https://{prefix}{region}{suffix}` when `url` is exactly that for
/// `region`, i.e. the default the configured region derives.
bool is_default_for(std::string_view url, std::string_view prefix, std::string_view region,
                    std::string_view suffix) {
  std::string expected = "https://";
  expected += prefix;
  expected += region;
  expected += suffix;
  return trimmed_base(url) == expected;
}

std::string with_region(std::string_view prefix, std::string_view region,
                        std::string_view suffix) {
  std::string out = "https://";
  out += prefix;
  out += region;
  out += suffix;
  return out;
}

} // namespace

account_kind kind_of(const credentials& c) {
  if (c.method == auth_method::social)
    return account_kind::social;
  // The IDE's token file says provider "Enterprise" for Identity Center
  // logins and "BuilderId" for Builder ID; pools without it carry startUrl.
  if (contains_ci(c.provider, "Enterprise") || contains_ci(c.provider, "Internal") ||
      contains_ci(c.provider, "IAM"))
    return account_kind::enterprise;
  if (equals_ci(c.provider, "BuilderId") || equals_ci(c.provider, "Builder-ID"))
    return account_kind::builder_id;
  if (!c.start_url.empty() && trimmed_base(c.start_url) != builder_id_start_url)
    return account_kind::enterprise;
  return account_kind::builder_id;
}

std::string_view to_string(account_kind k) {
  switch (k) {
    case account_kind::social: return "social";
    case account_kind::builder_id: return "Builder ID";
    case account_kind::enterprise: return "enterprise IdC";
  }
  return "social";
}

bool is_runtime_host(std::string_view api_base_url) {
  auto base = trimmed_base(api_base_url);
  std::string_view b = base;
  auto scheme = b.find("://");
  if (scheme != std::string_view::npos)
    b.remove_prefix(scheme + 3);
  if (auto slash = b.find('/'); slash != std::string_view::npos)
    b = b.substr(0, slash);
  if (auto colon = b.find(':'); colon != std::string_view::npos)
    b = b.substr(0, colon);
  return b.starts_with("runtime.") && b.ends_with(".kiro.dev");
}

std::string profile_arn_for_request(const credentials& c, std::string_view api_base_url) {
  if (kind_of(c) == account_kind::builder_id && !is_runtime_host(api_base_url))
    return {};
  return c.profile_arn;
}

std::string region_of_profile_arn(std::string_view arn) {
  constexpr std::string_view prefix = "arn:aws:codewhisperer:";
  if (!arn.starts_with(prefix))
    return {};
  arn.remove_prefix(prefix.size());
  auto colon = arn.find(':');
  if (colon == std::string_view::npos)
    return {};
  auto region = arn.substr(0, colon);
  return is_region_name(region) ? std::string{region} : std::string{};
}

std::string idc_refresh_url(const credentials& c, std::string_view configured_url,
                            std::string_view configured_region) {
  const std::string& region = !c.auth_region.empty() ? c.auth_region : c.region;
  if (!is_region_name(region) ||
      !is_default_for(configured_url, "oidc.", configured_region, ".amazonaws.com/token"))
    return std::string{configured_url};
  return with_region("oidc.", region, ".amazonaws.com/token");
}

std::string api_base_url_for(const credentials& c, std::string_view configured_url,
                             std::string_view configured_region) {
  std::string region = c.api_region;
  if (!is_region_name(region))
    region = region_of_profile_arn(c.profile_arn);
  if (!is_region_name(region))
    return std::string{configured_url};
  if (is_default_for(configured_url, "q.", configured_region, ".amazonaws.com"))
    return with_region("q.", region, ".amazonaws.com");
  if (is_default_for(configured_url, "runtime.", configured_region, ".kiro.dev"))
    return with_region("runtime.", region, ".kiro.dev");
  return std::string{configured_url};
}

http_call profiles_call(const credentials& c, std::string_view api_base_url,
                        std::string_view machine_id, std::string_view kiro_version) {
  // Same host and headers as getUsageLimits; a POST with a JSON body, as
  // Kiro-account-manager #100 and the kiro.rs forks' ListAvailableProfiles do.
  auto call = usage_call(c, api_base_url, machine_id, kiro_version);
  call.method = "POST";
  call.url = trimmed_base(api_base_url) + "/ListAvailableProfiles";
  call.headers.emplace_back("Content-Type", "application/json");
  call.body = R"({"maxResults":10})";
  return call;
}

std::variant<std::vector<std::string>, upstream_failure>
parse_available_profiles(int http_status, std::string_view body) {
  if (http_status < 200 || http_status >= 300) {
    auto f = upstream::classify_http_failure(http_status, body);
    f.message = "ListAvailableProfiles answered HTTP " + std::to_string(http_status) +
                (f.message.empty() ? std::string{} : ": " + f.message);
    return f;
  }
  auto o = parse_object(body);
  auto* profiles = o ? o->if_contains("profiles") : nullptr;
  if (!o || (profiles && !profiles->is_array() && !profiles->is_null()))
    return upstream_failure{failure_class::server_error, http_status, "",
                            "ListAvailableProfiles answered without a profiles list"};
  std::vector<std::string> arns;
  if (profiles && profiles->is_array()) {
    for (auto& p : profiles->as_array()) {
      if (!p.is_object())
        continue;
      auto arn = string_field(p.as_object(), "arn");
      if (arn.empty())
        arn = string_field(p.as_object(), "profileArn");
      if (!arn.empty())
        arns.push_back(std::move(arn));
    }
  }
  if (arns.empty())
    return upstream_failure{failure_class::bad_request, http_status, "",
                            "ListAvailableProfiles lists no profile for the account"};
  return arns;
}

} // namespace kb::account
