#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "services/sim/json_render.hpp"
#include "services/sim/models.hpp"
#include "services/sim/usage.hpp"

using namespace kb::sim;
namespace json = boost::json;

// 2026-05-17T12:00:00Z
constexpr int64_t may_17_noon = 1'779'019'200;
// 2026-06-01T00:00:00Z
constexpr int64_t june_1 = 1'780'272'000;

TEST_CASE("the next reset is midnight UTC on the first of the next month") {
  CHECK(next_month_start(may_17_noon) == june_1);
  CHECK(next_month_start(june_1) == 1'782'864'000); // 2026-07-01
  // 2026-12-31T23:59:59Z rolls over to 2027-01-01.
  CHECK(next_month_start(1'798'761'599) == 1'798'761'600);
}

TEST_CASE("usage limits JSON carries usage, limit and reset in epoch seconds") {
  usage_view u{"sim-user-a1", "a1@example.com", 42, 500, "KIRO FREE"};
  auto v = json::parse(render_usage_limits(u, may_17_noon));
  const auto& b = v.at("usageBreakdownList").at(0);
  CHECK(b.at("resourceType") == "CREDIT");
  CHECK(b.at("currentUsage") == 42);
  CHECK(b.at("usageLimit") == 500);
  CHECK(b.at("currentUsageWithPrecision").as_double() == 42.0);
  CHECK(b.at("usageLimitWithPrecision").as_double() == 500.0);
  CHECK(b.at("nextDateReset") == june_1);
  CHECK(v.at("nextDateReset") == june_1);
  CHECK(v.at("daysUntilReset") == 15);
  CHECK(v.at("subscriptionInfo").at("subscriptionTitle") == "KIRO FREE");
  CHECK(v.at("subscriptionInfo").at("type") == "Q_DEVELOPER_STANDALONE_FREE");
  CHECK(v.at("userInfo").at("userId") == "sim-user-a1");
  CHECK(v.at("userInfo").at("email") == "a1@example.com");
}

TEST_CASE("usage limits JSON writes doubles as AWS does") {
  usage_view u{"u", "", 7, 50};
  auto text = render_usage_limits(u, may_17_noon);
  CHECK(text.find("\"currentUsageWithPrecision\":7.0") != std::string::npos);
  CHECK(text.find("\"overageRate\":0.04") != std::string::npos);
  CHECK(text.find("email") == std::string::npos);
}

TEST_CASE("doubles are rendered in the shortest form that reads back exactly") {
  CHECK(format_double(50.0) == "50.0");
  CHECK(format_double(0.1761) == "0.1761");
  CHECK(format_double(-2.5) == "-2.5");
  CHECK(serialize_json(json::parse(R"({"a":[1,2.5,"x\n"],"b":null,"c":true})")) ==
        R"({"a":[1,2.5,"x\n"],"b":null,"c":true})");
}

TEST_CASE("the model list names every current model with token limits") {
  auto v = json::parse(render_models_json());
  const auto& models = v.at("models").as_array();
  CHECK(models.size() == 14);
  CHECK(models[0].at("modelId") == "auto");
  CHECK(v.at("defaultModel").at("modelId") == "auto");
  bool found = false;
  for (const auto& m : models)
    if (m.at("modelId") == "claude-haiku-4.5") {
      found = true;
      CHECK(m.at("tokenLimits").at("maxInputTokens") == 200000);
      CHECK(m.at("tokenLimits").at("maxOutputTokens") == 64000);
      CHECK(m.at("supportedInputTypes").as_array().size() == 2);
    }
  CHECK(found);
  CHECK(is_known_model("CLAUDE_SONNET_4_5_20250929_V1_0"));
  CHECK_FALSE(is_known_model("claude-sonnet-4-5"));
}

TEST_CASE("the subscription title and type follow the account's tier") {
  usage_view u{"u", "", 0, 50, "KIRO PRO+"};
  auto v = json::parse(render_usage_limits(u, may_17_noon));
  CHECK(v.at("subscriptionInfo").at("subscriptionTitle") == "KIRO PRO+");
  CHECK(v.at("subscriptionInfo").at("type") == "Q_DEVELOPER_STANDALONE_PRO_PLUS");
}
