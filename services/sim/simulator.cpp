#include "services/sim/simulator.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "services/sim/ids.hpp"
#include "services/sim/models.hpp"
#include "services/sim/usage.hpp"
#include "services/sim/validation.hpp"

namespace kb::sim {

namespace json = boost::json;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

http_answer json_answer(int status, std::string body) {
  http_answer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

http_answer control_error(int status, std::string_view message) {
  json::object out{{"error", message}};
  return json_answer(status, json::serialize(out));
}

std::string user_id_of(const account_spec& spec) { return "sim-user-" + spec.id; }

} // namespace

std::string_view http_request_view::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name))
      return v;
  return {};
}

std::string_view http_request_view::query_param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string_view{} : std::string_view(it->second);
}

std::string_view bearer_token(std::string_view authorization) {
  if (!starts_with_ci(authorization, "Bearer "))
    return {};
  auto token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ')
    token.remove_suffix(1);
  return token;
}

simulator::simulator(sim_limits limits, uint64_t seed)
    : limits_(limits), seed_(seed), accounts_(mix64(seed)) {}

simulator::auth_outcome simulator::authenticate(const http_request_view& req, int64_t now) const {
  auto token = bearer_token(req.header("authorization"));
  auto result = accounts_.authenticate(token, now);
  if (!result.account)
    return {{}, std::string(to_string(result.failure)), false, {}};
  const auto& spec = result.account->spec;
  return {spec.id, {}, spec.method == auth_method::idc, user_id_of(spec), spec.kind,
          spec.profile_arn};
}

http_answer simulator::kiro_answer(const kiro_reply& reply) {
  http_answer a = json_answer(reply.status, reply.body);
  a.headers.emplace_back("x-amzn-requestid", pseudo_uuid(seed_, ++sequence_));
  if (!reply.error_type.empty())
    a.headers.emplace_back("x-amzn-errortype", reply.error_type);
  return a;
}

void simulator::record(const http_request_view& req, std::string_view endpoint, int64_t now,
                       const http_answer& answer, std::string_view account_id,
                       std::string_view verdict, std::string_view reason,
                       std::string_view detail) {
  recorded_request r;
  r.time = now;
  r.method = req.method;
  r.path = req.path;
  r.endpoint = std::string(endpoint);
  r.headers = req.headers;
  r.body = req.body;
  r.status = answer.status;
  r.verdict = std::string(verdict);
  r.reason = std::string(reason);
  r.detail = std::string(detail);
  r.account_id = std::string(account_id);
  log_.record(std::move(r));
}

http_answer simulator::generate(const http_request_view& req, int64_t now) {
  constexpr std::string_view endpoint = "generateAssistantResponse";
  std::lock_guard lock(mutex_);
  auto reject = [&](const kiro_reply& reply, std::string_view account, std::string_view verdict,
                    std::string_view reason, std::string_view detail) {
    auto a = kiro_answer(reply);
    record(req, endpoint, now, a, account, verdict, reason, detail);
    return a;
  };
  if (req.path == "/" && req.header("x-amz-target") != sdk_generate_target)
    return reject({400, kiro_error_body("Unknown operation.", ""), "UnknownOperationException"},
                  {}, "malformed", "unknown_operation", "x-amz-target is not GenerateAssistantResponse");
  auto content_type = req.header("content-type");
  if (!starts_with_ci(content_type, "application/json") &&
      !starts_with_ci(content_type, "application/x-amz-json-1.0"))
    return reject(improperly_formed(), {}, "malformed", "content_type_invalid",
                  "Content-Type is not JSON");
  auto auth = authenticate(req, now);
  if (!auth.reason.empty())
    return reject(invalid_bearer(), {}, to_string(verdict::bearer_rejected), auth.reason,
                  "the bearer token is not a live access token");

  validation_context ctx{auth.kind, auth.profile_arn, limits_.max_body_bytes,
                         limits_.max_input_tokens};
  auto verdict_ = validate_request(req.body, ctx);
  if (!verdict_.ok()) {
    kiro_reply reply = verdict_.outcome == verdict::invalid_model    ? invalid_model()
                       : verdict_.outcome == verdict::input_too_long  ? input_too_long()
                       : verdict_.outcome == verdict::bearer_rejected ? invalid_bearer()
                       : verdict_.outcome == verdict::profile_required ? profile_arn_required()
                                                                      : improperly_formed();
    if (!verdict_.kiro_message.empty())
      reply.body = kiro_error_body(verdict_.kiro_message, "");
    return reject(reply, auth.account_id, to_string(verdict_.outcome), verdict_.reason,
                  verdict_.detail);
  }
  if (const account_state* acc = accounts_.find(auth.account_id);
      acc && !subscription_serves(acc->spec.subscription, verdict_.summary.model_id))
    return reject(invalid_model(), auth.account_id, to_string(verdict::invalid_model),
                  "model_not_in_subscription",
                  verdict_.summary.model_id + " is not part of the " + acc->spec.subscription +
                      " subscription");
  if (accounts_.is_exhausted(auth.account_id))
    return reject(quota_exhausted(), auth.account_id, "accepted", "quota_exhausted",
                  "the account's usage reached its limit");

  const auto& summary = verdict_.summary;
  match_input in{auth.account_id, bearer_token(req.header("authorization")), summary.content,
                 summary.has_tool_results, summary.has_tools};
  auto scripted = scripts_.take(in);
  response_spec spec = scripted ? std::move(*scripted) : default_response(summary);
  plan_context pctx{summary.estimated_input_tokens, default_answer_text(summary), auth.user_id,
                    seed_, ++sequence_};
  for (const auto& m : known_models())
    if (m.id == summary.model_id)
      pctx.context_window_tokens = m.max_input_tokens;
  auto plan = plan_response(spec, pctx);
  const std::string script_note =
      std::string(scripted ? "script:" : "default:") + std::string(to_string(spec.kind));
  if (plan.reply) {
    if (plan.exhausts_quota)
      accounts_.exhaust(auth.account_id);
    return reject(*plan.reply, auth.account_id, "accepted", script_note, "scripted error reply");
  }
  accounts_.count_request(auth.account_id);
  http_answer a;
  a.status = 200;
  a.content_type = std::string(eventstream_content_type);
  a.headers.emplace_back("x-amzn-requestid", pseudo_uuid(seed_, ++sequence_));
  a.stream = std::move(plan);
  record(req, endpoint, now, a, auth.account_id, "accepted", script_note, {});
  return a;
}

http_answer simulator::refresh_social(const http_request_view& req, int64_t now) {
  std::lock_guard lock(mutex_);
  auto reply = accounts_.refresh_social(req.body, now);
  auto a = kiro_answer({reply.status, reply.body, {}});
  record(req, "refreshToken", now, a, reply.account_id);
  return a;
}

http_answer simulator::refresh_idc(const http_request_view& req, int64_t now) {
  std::lock_guard lock(mutex_);
  auto reply = accounts_.refresh_idc(req.body, now);
  auto a = kiro_answer({reply.status, reply.body, {}});
  record(req, "token", now, a, reply.account_id);
  return a;
}

http_answer simulator::usage_limits(const http_request_view& req, int64_t now) {
  std::lock_guard lock(mutex_);
  auto auth = authenticate(req, now);
  if (!auth.reason.empty()) {
    auto a = kiro_answer(invalid_bearer());
    record(req, "getUsageLimits", now, a, {}, "bearer_rejected", auth.reason);
    return a;
  }
  if (req.query_param("origin").empty() || req.query_param("resourceType").empty()) {
    auto a = kiro_answer(improperly_formed());
    record(req, "getUsageLimits", now, a, auth.account_id, "malformed", "query_missing",
           "origin and resourceType are required");
    return a;
  }
  // kiro.rs PR #168: a Builder ID token with profileArn is refused at
  // getUsageLimits as at generateAssistantResponse.
  if (auth.kind == account_kind::builder_id && !req.query_param("profileArn").empty()) {
    auto a = kiro_answer(invalid_bearer());
    record(req, "getUsageLimits", now, a, auth.account_id, "bearer_rejected",
           "profile_arn_with_builder_id");
    return a;
  }
  const account_state* acc = accounts_.find(auth.account_id);
  usage_view view{auth.user_id,
                  acc->spec.method == auth_method::social && acc->spec.email.empty()
                      ? acc->spec.id + "@kiro-sim.invalid"
                      : acc->spec.email,
                  acc->usage, acc->spec.usage_limit, acc->spec.subscription};
  auto a = kiro_answer({200, render_usage_limits(view, now), {}});
  record(req, "getUsageLimits", now, a, auth.account_id);
  return a;
}

http_answer simulator::list_models(const http_request_view& req, int64_t now) {
  std::lock_guard lock(mutex_);
  auto auth = authenticate(req, now);
  if (!auth.reason.empty()) {
    auto a = kiro_answer(invalid_bearer());
    record(req, "ListAvailableModels", now, a, auth.account_id, "bearer_rejected", auth.reason);
    return a;
  }
  const account_state* acc = accounts_.find(auth.account_id);
  auto page = render_models_page(acc->spec.subscription, req.query_param("maxResults"),
                                 req.query_param("nextToken"));
  if (!page) {
    auto a = kiro_answer({400, kiro_error_body(page.error().message, ""), "ValidationException"});
    record(req, "ListAvailableModels", now, a, auth.account_id, "malformed", "paging_invalid",
           page.error().message);
    return a;
  }
  auto a = kiro_answer({200, std::move(*page), {}});
  record(req, "ListAvailableModels", now, a, auth.account_id);
  return a;
}

http_answer simulator::list_profiles(const http_request_view& req, int64_t now) {
  std::lock_guard lock(mutex_);
  auto auth = authenticate(req, now);
  if (!auth.reason.empty()) {
    auto a = kiro_answer(invalid_bearer());
    record(req, "ListAvailableProfiles", now, a, {}, "bearer_rejected", auth.reason);
    return a;
  }
  auto reply = accounts_.list_profiles(*accounts_.find(auth.account_id));
  auto a = kiro_answer({reply.status, reply.body,
                        reply.status == 200 ? std::string{} : "AccessDeniedException"});
  record(req, "ListAvailableProfiles", now, a, auth.account_id,
         reply.status == 200 ? "" : "access_denied",
         reply.status == 200 ? "" : "builder_id_has_no_profile");
  return a;
}

std::optional<std::string> simulator::load_accounts(std::string_view json_text, int64_t now) {
  auto parsed = parse_accounts(json_text);
  if (!parsed)
    return parsed.error().message;
  std::lock_guard lock(mutex_);
  for (const auto& spec : *parsed)
    accounts_.upsert(spec, now);
  return std::nullopt;
}

http_answer simulator::add_accounts(std::string_view body, int64_t now) {
  auto parsed = parse_accounts(body);
  if (!parsed)
    return control_error(400, parsed.error().message);
  std::lock_guard lock(mutex_);
  json::array ids;
  for (const auto& spec : *parsed) {
    accounts_.upsert(spec, now);
    ids.emplace_back(spec.id);
  }
  return json_answer(200, json::serialize(json::object{{"ok", true}, {"accounts", ids}}));
}

http_answer simulator::add_script(std::string_view body) {
  auto parsed = parse_script(body);
  if (!parsed)
    return control_error(400, parsed.error().message);
  std::lock_guard lock(mutex_);
  const size_t added = parsed->size();
  scripts_.append(std::move(*parsed));
  return json_answer(200, json::serialize(json::object{
                              {"ok", true}, {"added", added}, {"pending", scripts_.size()}}));
}

http_answer simulator::reset() {
  std::lock_guard lock(mutex_);
  scripts_.clear();
  log_.clear();
  accounts_.reset_usage();
  return json_answer(200, R"({"ok":true})");
}

http_answer simulator::requests(const http_request_view& req) const {
  std::lock_guard lock(mutex_);
  return json_answer(200, log_.render_requests(req.query_param("account"),
                                               req.query_param("endpoint")));
}

http_answer simulator::expire(std::string_view body, int64_t now) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  auto* obj = ec ? nullptr : v.if_object();
  auto* id = obj ? obj->if_contains("id") : nullptr;
  if (!id || !id->is_string())
    return control_error(400, "body must be {\"id\":\"<account id>\"}");
  std::lock_guard lock(mutex_);
  if (!accounts_.expire(id->get_string(), now))
    return control_error(404, "unknown account");
  return json_answer(200, R"({"ok":true})");
}

http_answer simulator::stats() const {
  std::lock_guard lock(mutex_);
  return json_answer(200, log_.render_stats());
}

http_answer simulator::config_locked() const {
  const auto& p = accounts_.policy();
  json::object out{{"maxBodyBytes", limits_.max_body_bytes},
                   {"maxInputTokens", limits_.max_input_tokens},
                   {"refreshGraceSeconds", p.old_token_grace_seconds},
                   {"rotateRefreshTokens", p.rotate_refresh_token},
                   {"issuedExpiresInSeconds", p.issued_expires_in}};
  return json_answer(200, json::serialize(out));
}

http_answer simulator::config() const {
  std::lock_guard lock(mutex_);
  return config_locked();
}

http_answer simulator::configure(std::string_view body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  auto* obj = ec ? nullptr : v.if_object();
  if (!obj)
    return control_error(400, "config must be a JSON object");
  auto read_count = [&](std::string_view key, auto& out) -> bool {
    auto* f = obj->if_contains(key);
    if (!f)
      return true;
    if (!f->is_int64() || f->get_int64() < 0)
      return false;
    out = static_cast<std::remove_reference_t<decltype(out)>>(f->get_int64());
    return true;
  };
  sim_limits limits;
  token_policy policy;
  {
    std::lock_guard lock(mutex_);
    limits = limits_;
    policy = accounts_.policy();
  }
  if (!read_count("maxBodyBytes", limits.max_body_bytes) ||
      !read_count("maxInputTokens", limits.max_input_tokens) ||
      !read_count("refreshGraceSeconds", policy.old_token_grace_seconds) ||
      !read_count("issuedExpiresInSeconds", policy.issued_expires_in))
    return control_error(400, "config values must be non-negative integers");
  if (auto* rotate = obj->if_contains("rotateRefreshTokens")) {
    if (!rotate->is_bool())
      return control_error(400, "rotateRefreshTokens must be a boolean");
    policy.rotate_refresh_token = rotate->get_bool();
  }
  std::lock_guard lock(mutex_);
  limits_ = limits;
  accounts_.policy() = policy;
  return config_locked();
}

} // namespace kb::sim
