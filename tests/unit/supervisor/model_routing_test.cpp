#include <doctest/doctest.h>

#include "services/supervisor/account_pool.hpp"

using namespace kb;
using namespace kb::pool;

namespace {

account_entry account(std::string id, std::string subscription,
                      std::vector<std::string> models = {}) {
  account_entry a;
  a.id = std::move(id);
  a.idle_workers = 1;
  a.access.subscription_title = std::move(subscription);
  a.access.models = std::move(models);
  return a;
}

std::string picked(const std::vector<account_entry>& xs, std::string_view model) {
  size_t cursor = 0;
  auto i = pick(strategy::first, xs, 1000, {}, cursor, 0, model);
  return i ? xs[*i].id : std::string{"none"};
}

upstream_failure invalid_model_id() {
  return {failure_class::bad_request, 400, "INVALID_MODEL_ID",
          "Invalid model. Please select a different model to continue."};
}

} // namespace

TEST_CASE("a FREE subscription serves no Opus until its model list says otherwise") {
  auto free = account("free", "KIRO FREE");
  CHECK(lacks_model(free.access, "claude-opus-4.7") == "its KIRO FREE subscription has no Opus");
  CHECK(lacks_model(free.access, "claude-sonnet-4.5").empty());
  CHECK(lacks_model(account("pro", "KIRO PRO+").access, "claude-opus-4.7").empty());
  CHECK(lacks_model(account("new", "").access, "claude-opus-4.7").empty());
  auto listed = account("free", "KIRO FREE", {"claude-opus-4.7"});
  CHECK(lacks_model(listed.access, "claude-opus-4.7").empty());
}

TEST_CASE("a read model list decides, except for legacy ids Kiro never lists") {
  auto a = account("a", "KIRO PRO", {"auto", "claude-sonnet-4.5"});
  CHECK(lacks_model(a.access, "claude-sonnet-4.5").empty());
  CHECK(lacks_model(a.access, "claude-opus-4.7") == "not in its ListAvailableModels answer");
  CHECK(lacks_model(a.access, "CLAUDE_SONNET_4_5_20250929_V1_0").empty());
  CHECK(lacks_model(a.access, "").empty());
}

TEST_CASE("an opus request skips the free account whatever the strategy prefers") {
  std::vector<account_entry> xs{account("free", "KIRO FREE"), account("pro", "KIRO PRO")};
  CHECK(picked(xs, "claude-opus-4.7") == "pro");
  CHECK(picked(xs, "claude-sonnet-4.5") == "free");
  CHECK(picked(xs, "") == "free");
  xs[1].idle_workers = 0;
  CHECK(picked(xs, "claude-opus-4.7") == "none");
}

TEST_CASE("INVALID_MODEL_ID teaches the account lacks the model until the list is read again") {
  auto a = account("a", "KIRO PRO");
  CHECK_FALSE(learn_invalid_model(a.access, {failure_class::bad_request, 400, "",
                                             "Improperly formed request."},
                                  "claude-opus-4.7"));
  CHECK(lacks_model(a.access, "claude-opus-4.7").empty());
  CHECK(learn_invalid_model(a.access, invalid_model_id(), "claude-opus-4.7"));
  CHECK(lacks_model(a.access, "claude-opus-4.7") == "Kiro answered INVALID_MODEL_ID");
  CHECK(picked({a}, "claude-opus-4.7") == "none");
  set_models(a.access, {"claude-opus-4.7"});
  CHECK(lacks_model(a.access, "claude-opus-4.7").empty());
}

TEST_CASE("the model is unavailable only when no enabled account serves it, and says why") {
  std::vector<account_entry> xs{account("free", "KIRO FREE"),
                                account("listed", "KIRO PRO", {"claude-sonnet-4.5"})};
  auto msg = model_unavailable(xs, "claude-opus-4-7", "claude-opus-4.7");
  REQUIRE(msg);
  CHECK(msg->find("claude-opus-4-7 (Kiro model claude-opus-4.7)") != std::string::npos);
  CHECK(msg->find("free: its KIRO FREE subscription has no Opus") != std::string::npos);
  CHECK(msg->find("listed: not in its ListAvailableModels answer") != std::string::npos);
  CHECK_FALSE(model_unavailable(xs, "claude-sonnet-4-5", "claude-sonnet-4.5"));
  xs.push_back(account("pro", "KIRO PRO"));
  CHECK_FALSE(model_unavailable(xs, "claude-opus-4-7", "claude-opus-4.7"));
  xs.back().state = account_state::disabled;
  CHECK(model_unavailable(xs, "claude-opus-4-7", "claude-opus-4.7"));
  CHECK_FALSE(model_unavailable({}, "claude-opus-4-7", "claude-opus-4.7"));
}
