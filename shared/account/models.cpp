#include "shared/account/models.hpp"

#include "shared/account/json_fields.hpp"
#include "shared/upstream/failures.hpp"

namespace kb::account {

namespace {

upstream_failure listing_failed(int http_status, std::string_view body) {
  auto f = upstream::classify_http_failure(http_status, body);
  f.message = "ListAvailableModels answered HTTP " + std::to_string(http_status) +
              (f.message.empty() ? std::string{} : ": " + f.message);
  return f;
}

int64_t whole_tokens(const boost::json::object& o, std::string_view key) {
  auto n = detail::number_field(o, key);
  return n && *n > 0 ? static_cast<int64_t>(*n) : 0;
}

} // namespace

http_call models_call(const credentials& c, std::string_view api_base_url,
                      std::string_view machine_id, std::string_view kiro_version) {
  // Same host, headers and profileArn rule as getUsageLimits.
  auto call = usage_call(c, api_base_url, machine_id, kiro_version);
  std::string base{api_base_url};
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  call.url = base + "/ListAvailableModels?origin=AI_EDITOR";
  if (auto arn = profile_arn_for_request(c, api_base_url); !arn.empty())
    call.url += "&profileArn=" + url_encode(arn);
  return call;
}

http_call models_page_call(const credentials& c, std::string_view api_base_url,
                           std::string_view machine_id,
                           std::string_view kiro_version,
                           std::string_view next_token, int max_results) {
  auto call = models_call(c, api_base_url, machine_id, kiro_version);
  call.url += "&maxResults=" + std::to_string(max_results);
  if (!next_token.empty())
    call.url += "&nextToken=" + url_encode(next_token);
  return call;
}

std::variant<model_page, upstream_failure>
parse_model_page(int http_status, std::string_view body) {
  if (http_status < 200 || http_status >= 300)
    return listing_failed(http_status, body);
  auto o = detail::parse_object(body);
  auto* models = o ? o->if_contains("models") : nullptr;
  if (!models || !models->is_array())
    return upstream_failure{failure_class::server_error, http_status, "",
                            "ListAvailableModels answered without a models list"};
  model_page page;
  for (auto& m : models->as_array()) {
    if (!m.is_object())
      continue;
    auto& obj = m.as_object();
    kiro_model km;
    km.id = detail::string_field(obj, "modelId");
    if (km.id.empty())
      continue;
    km.name = detail::string_field(obj, "modelName");
    if (auto* limits = detail::object_field(obj, "tokenLimits")) {
      km.max_input_tokens = whole_tokens(*limits, "maxInputTokens");
      km.max_output_tokens = whole_tokens(*limits, "maxOutputTokens");
    }
    page.models.push_back(std::move(km));
  }
  page.next_token = detail::string_field(*o, "nextToken");
  return page;
}

std::variant<std::vector<kiro_model>, upstream_failure>
fetch_model_list(const credentials& c, std::string_view api_base_url,
                 std::string_view machine_id, std::string_view kiro_version,
                 const std::function<http_result(const http_call&)>& perform) {
  std::vector<kiro_model> all;
  std::string token;
  for (int page_no = 0; page_no < max_model_pages; ++page_no) {
    auto res = perform(models_page_call(c, api_base_url, machine_id, kiro_version, token));
    if (!res.error.empty())
      return upstream_failure{failure_class::network, 0, "",
                              "ListAvailableModels failed: " + res.error};
    auto parsed = parse_model_page(res.status, res.body);
    if (auto* f = std::get_if<upstream_failure>(&parsed))
      return std::move(*f);
    auto& page = std::get<model_page>(parsed);
    for (auto& m : page.models)
      all.push_back(std::move(m));
    if (page.next_token.empty() || page.next_token == token)
      break;
    token = std::move(page.next_token);
  }
  return all;
}

std::variant<std::vector<std::string>, upstream_failure>
parse_available_models(int http_status, std::string_view body) {
  auto parsed = parse_model_page(http_status, body);
  if (auto* f = std::get_if<upstream_failure>(&parsed))
    return std::move(*f);
  std::vector<std::string> ids;
  for (auto& m : std::get<model_page>(parsed).models)
    ids.push_back(std::move(m.id));
  return ids;
}

} // namespace kb::account
