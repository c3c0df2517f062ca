#include <algorithm>
#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "shared/account/account.hpp"

#include "shared/common/civil_time.hpp"
#include "shared/account/json_fields.hpp"
#include "shared/upstream/failures.hpp"

namespace kb::account {

namespace json = boost::json;
using namespace detail;

namespace {

/// Epoch numbers above this are already milliseconds (seconds would put
/// them past the year 5000).
constexpr double max_epoch_seconds = 1e11;

/// nextDateReset: epoch seconds on q.*, an ISO string on the portal API.
int64_t reset_time_ms(const json::value* v) {
  if (!v)
    return 0;
  if (v->is_string())
    return kb::parse_iso8601_ms(v->get_string()).value_or(0);
  std::optional<double> n;
  if (v->is_int64())
    n = static_cast<double>(v->get_int64());
  else if (v->is_uint64())
    n = static_cast<double>(v->get_uint64());
  else if (v->is_double())
    n = v->get_double();
  if (!n || !std::isfinite(*n) || *n <= 0 || *n > max_epoch_seconds * 1000)
    return 0;
  return static_cast<int64_t>(*n > max_epoch_seconds ? *n : *n * 1000);
}

bool is_active(const json::object& o) {
  auto status = string_field(o, "status");
  if (status.empty())
    status = string_field(o, "freeTrialStatus");
  return status == "ACTIVE";
}

/// `<name>WithPrecision` when present, else the rounded `<name>`.
double amount(const json::object& o, std::string_view name) {
  std::string precise{name};
  precise += "WithPrecision";
  if (auto v = number_field(o, precise))
    return *v;
  return number_field(o, name).value_or(0);
}

struct totals {
  double used = 0;
  double limit = 0;

  void add(const json::object& o) {
    used += amount(o, "currentUsage");
    limit += amount(o, "usageLimit");
  }
};

/// The first breakdown, its ACTIVE free trial and its ACTIVE bonuses (kiro.rs).
totals breakdown_totals(const json::object& breakdown) {
  totals t;
  t.add(breakdown);
  if (auto* trial = object_field(breakdown, "freeTrialInfo"); trial && is_active(*trial))
    t.add(*trial);
  if (auto* bonuses = breakdown.if_contains("bonuses"); bonuses && bonuses->is_array())
    for (auto& b : bonuses->get_array())
      if (b.is_object() && is_active(b.get_object()))
        t.add(b.get_object());
  return t;
}

const json::object* first_object(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_array() || v->get_array().empty() || !v->get_array()[0].is_object())
    return nullptr;
  return &v->get_array()[0].get_object();
}

double percent_of(double used, double limit) {
  if (!(limit > 0) || !std::isfinite(used))
    return 0;
  return std::clamp(used / limit * 100.0, 0.0, 100.0);
}

} // namespace

http_call usage_call(const credentials& c, std::string_view api_base_url,
                     std::string_view machine_id, std::string_view kiro_version) {
  http_call call;
  call.method = "GET";
  call.url = std::string{api_base_url};
  while (!call.url.empty() && call.url.back() == '/')
    call.url.pop_back();
  call.url += "/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST"
              "&isEmailRequired=true";
  if (auto arn = profile_arn_for_request(c, api_base_url); !arn.empty())
    call.url += "&profileArn=" + url_encode(arn);
  std::string ide = "KiroIDE-" + std::string{kiro_version} + "-" + std::string{machine_id};
  call.headers = {
    {"Authorization", "Bearer " + c.access_token},
    {"x-amz-user-agent", "aws-sdk-js/1.0.0 " + ide},
    {"user-agent", "aws-sdk-js/1.0.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#22.22.0 "
                   "api/codewhispererruntime#1.0.0 m/N,E " + ide},
    {"amz-sdk-request", "attempt=1; max=1"},
  };
  return call;
}

std::variant<usage_limits, upstream_failure>
parse_usage_limits(int http_status, std::string_view body) {
  if (http_status < 200 || http_status >= 300) {
    auto f = upstream::classify_http_failure(http_status, body);
    f.message = "getUsageLimits answered HTTP " + std::to_string(http_status) +
                (f.message.empty() ? std::string{} : ": " + f.message);
    return f;
  }
  auto o = parse_object(body);
  if (!o)
    return upstream_failure{failure_class::server_error, http_status, "",
                            "getUsageLimits answered with a body that is not a JSON object"};
  usage_limits u;
  if (auto* breakdown = first_object(*o, "usageBreakdownList")) {
    auto t = breakdown_totals(*breakdown);
    u.used = t.used;
    u.limit = t.limit;
    u.next_reset_ms = reset_time_ms(breakdown->if_contains("nextDateReset"));
  } else if (auto* limit = first_object(*o, "limits")) {
    // The SDK's older shape: {currentUsage, totalUsageLimit, percentUsed}.
    u.used = number_field(*limit, "currentUsage").value_or(0);
    u.limit = number_field(*limit, "totalUsageLimit").value_or(0);
  }
  if (auto reset = reset_time_ms(o->if_contains("nextDateReset")); reset > 0)
    u.next_reset_ms = reset;
  u.percent_used = percent_of(u.used, u.limit);
  if (auto* sub = object_field(*o, "subscriptionInfo")) {
    u.subscription_title = string_field(*sub, "subscriptionTitle");
    u.subscription_type = string_field(*sub, "type");
  }
  if (auto* overage = object_field(*o, "overageConfiguration"))
    u.overage_enabled = string_field(*overage, "overageStatus") == "ENABLED";
  if (auto* user = object_field(*o, "userInfo"))
    u.email = string_field(*user, "email");
  return u;
}

} // namespace kb::account
