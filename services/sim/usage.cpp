#include "services/sim/usage.hpp"

#include <cctype>
#include <chrono>
#include <string_view>

#include <boost/json.hpp>

#include "services/sim/json_render.hpp"
#include "shared/common/civil_time.hpp"

namespace kb::sim {

namespace json = boost::json;

int64_t next_month_start(int64_t now) {
  return next_month_start_ms(now * 1000) / 1000;
}

namespace {

/// "KIRO FREE" → "Q_DEVELOPER_STANDALONE_FREE" (obs, kiro-protocol.md §6);
/// the other tiers' type names follow the same pattern (a guess).
std::string subscription_type(std::string_view title) {
  std::string tier{title.substr(title.rfind(' ') == std::string_view::npos ? 0
                                                                          : title.rfind(' ') + 1)};
  std::string out = "Q_DEVELOPER_STANDALONE_";
  for (char c : tier) {
    if (c == '+')
      out += "_PLUS";
    else
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

} // namespace

std::string render_usage_limits(const usage_view& usage, int64_t now) {
  const int64_t reset = next_month_start(now);
  const int64_t days_until = (reset - now + 86'399) / 86'400;
  const double used = static_cast<double>(usage.current_usage);
  const double limit = static_cast<double>(usage.usage_limit);
  json::object breakdown{
      {"resourceType", "CREDIT"},
      {"displayName", "Credit"},
      {"displayNamePlural", "Credits"},
      {"unit", "INVOCATIONS"},
      {"currency", "USD"},
      {"currentUsage", usage.current_usage},
      {"currentUsageWithPrecision", used},
      {"usageLimit", usage.usage_limit},
      {"usageLimitWithPrecision", limit},
      {"currentOverages", 0},
      {"currentOveragesWithPrecision", 0.0},
      {"overageCap", 10000},
      {"overageCapWithPrecision", 10000.0},
      {"overageRate", 0.04},
      {"overageCharges", 0.0},
      {"nextDateReset", reset},
      {"bonuses", json::array{}},
  };
  json::object user_info{{"userId", usage.user_id}};
  if (!usage.email.empty())
    user_info["email"] = usage.email;
  json::object out{
      {"usageBreakdownList", json::array{std::move(breakdown)}},
      {"nextDateReset", reset},
      {"daysUntilReset", days_until},
      {"limits", json::array{}},
      {"subscriptionInfo",
       json::object{{"subscriptionTitle", usage.subscription},
                    {"type", subscription_type(usage.subscription)},
                    {"overageCapability", "OVERAGE_INCAPABLE"},
                    {"upgradeCapability", "UPGRADE_CAPABLE"},
                    {"subscriptionManagementTarget", "PURCHASE"}}},
      {"overageConfiguration", json::object{{"overageStatus", "DISABLED"}}},
      {"userInfo", std::move(user_info)},
  };
  return serialize_json(out);
}

} // namespace kb::sim
