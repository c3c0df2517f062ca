#include "shared/account/account.hpp"

#include "shared/account/json_fields.hpp"
#include "shared/upstream/failures.hpp"

namespace kb::account {

http_call models_call(const credentials& c, std::string_view api_base_url,
                      std::string_view machine_id, std::string_view kiro_version) {
  // Same host, headers and profileArn rule as getUsageLimits.
  auto call = usage_call(c, api_base_url, machine_id, kiro_version);
  std::string base{api_base_url};
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  call.url = base + "/ListAvailableModels?origin=AI_EDITOR";
  if (c.method == auth_method::social && !c.profile_arn.empty())
    call.url += "&profileArn=" + url_encode(c.profile_arn);
  return call;
}

std::variant<std::vector<std::string>, upstream_failure>
parse_available_models(int http_status, std::string_view body) {
  if (http_status < 200 || http_status >= 300) {
    auto f = upstream::classify_http_failure(http_status, body);
    f.message = "ListAvailableModels answered HTTP " + std::to_string(http_status) +
                (f.message.empty() ? std::string{} : ": " + f.message);
    return f;
  }
  auto o = detail::parse_object(body);
  auto* models = o ? o->if_contains("models") : nullptr;
  if (!models || !models->is_array())
    return upstream_failure{failure_class::server_error, http_status, "",
                            "ListAvailableModels answered without a models list"};
  std::vector<std::string> ids;
  for (auto& m : models->as_array()) {
    if (!m.is_object())
      continue;
    auto* id = m.as_object().if_contains("modelId");
    if (id && id->is_string())
      ids.emplace_back(id->as_string());
  }
  return ids;
}

} // namespace kb::account
