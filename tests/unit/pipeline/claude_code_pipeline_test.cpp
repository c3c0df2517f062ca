// The whole translation path on real shapes: a Claude request parsed by the
// gateway's parser, mapped, built into a Kiro body, and judged by kiro-sim's
// strict validation (the same rules as Kiro's "Improperly formed request.").

#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <sstream>

#include <boost/json.hpp>

#include "services/sim/validation.hpp"
#include "shared/claude/messages_request.hpp"
#include "shared/config/model_mapping.hpp"
#include "shared/kiro/request_builder.hpp"

using namespace kb;
namespace json = boost::json;

namespace {

std::string read_fixture(const std::string& name) {
  std::ifstream in{std::string{KB_SOURCE_DIR} + "/tests/fixtures/" + name};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Parse → map → build → validate; returns the validation verdict's reason
/// ("" when accepted) and the Kiro body.
std::pair<std::string, std::string> through_pipeline(std::string_view claude_body,
                                                     bool idc = false) {
  auto parsed = claude::parse_messages_request(claude_body);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
  auto conv = std::move(parsed).value();
  conv.request_id = "req_pipeline";
  conv.upstream_model = config::resolve(config::default_model_mapping(), conv.model);
  kiro::build_options opts;
  if (!idc)
    opts.profile_arn = "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";
  auto built = kiro::build_request(conv, opts);
  REQUIRE_MESSAGE(built.ok(), (built.ok() ? "" : built.error().message));
  sim::validation_context ctx;
  ctx.kind = idc ? sim::account_kind::builder_id : sim::account_kind::social;
  auto verdict = sim::validate_request(built->body, ctx);
  return {verdict.ok() ? "" : verdict.reason + ": " + verdict.detail, built->body};
}

} // namespace

TEST_CASE("the captured Claude Code request is accepted by kiro-sim's strict validation") {
  auto body = read_fixture("claude-code-request.json");
  REQUIRE(body.size() > 50'000);
  auto [reason, kiro_body] = through_pipeline(body);
  CHECK_MESSAGE(reason.empty(), reason);
  auto v = json::parse(kiro_body);
  auto& current = v.at("conversationState").at("currentMessage").at("userInputMessage");
  CHECK(current.at("userInputMessageContext").at("tools").as_array().size() >= 12);
  CHECK(config::is_known_kiro_model(current.at("modelId").as_string()));
}

TEST_CASE("an IdC account's request carries no profileArn and is accepted") {
  auto [reason, kiro_body] = through_pipeline(
    R"({"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})",
    true);
  CHECK_MESSAGE(reason.empty(), reason);
  CHECK(json::parse(kiro_body).as_object().if_contains("profileArn") == nullptr);
}

TEST_CASE("the shapes that made peers' requests fail are accepted after translation") {
  // Interrupted stream: two assistant turns in a row; back-to-back users;
  // an assistant turn that is only a tool call; an orphan tool result; a
  // tool used in history but missing from tools; a trailing system turn.
  auto body = R"({"model":"claude-opus-4-6","max_tokens":100,
    "system":[{"type":"text","text":"be brief","cache_control":{"type":"ephemeral"}}],
    "messages":[
      {"role":"user","content":"one"},
      {"role":"assistant","content":"partial"},
      {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{"path":"a"}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"file a"},
                                {"type":"tool_result","tool_use_id":"ghost","content":"orphan"}]},
      {"role":"user","content":"and then?"},
      {"role":"assistant","content":[{"type":"tool_use","id":"t2","name":"Grep","input":{}}]},
      {"role":"user","content":"never mind"},
      {"role":"system","content":"reminder: stay on task"}]})";
  auto [reason, kiro_body] = through_pipeline(body);
  CHECK_MESSAGE(reason.empty(), reason);
}

TEST_CASE("random Claude conversations always become bodies kiro-sim accepts") {
  std::mt19937 rng{20261127};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int round = 0; round < 150; ++round) {
    json::array messages;
    int next_tool = 0;
    std::vector<std::string> open_calls;
    int n = 1 + pick(8);
    for (int i = 0; i < n; ++i) {
      bool user = pick(3) != 0 || i == 0;
      json::array content;
      if (user) {
        for (auto& id : open_calls)
          if (pick(2))
            content.push_back({{"type", "tool_result"}, {"tool_use_id", id},
                               {"content", pick(3) ? "ok" : ""}});
        open_calls.clear();
        if (pick(4))
          content.push_back({{"type", "text"}, {"text", pick(5) ? "question" : " "}});
        if (content.empty())
          content.push_back({{"type", "text"}, {"text", "go"}});
      } else {
        if (pick(2))
          content.push_back({{"type", "text"}, {"text", "answer"}});
        for (int k = pick(3); k > 0; --k) {
          auto id = "tu_" + std::to_string(next_tool++);
          content.push_back({{"type", "tool_use"}, {"id", id},
                             {"name", pick(2) ? "Bash" : "Read"}, {"input", json::object{}}});
          open_calls.push_back(id);
        }
        if (content.empty())
          content.push_back({{"type", "text"}, {"text", "ok"}});
      }
      messages.push_back({{"role", user ? "user" : "assistant"}, {"content", content}});
    }
    if (messages.back().at("role") == "assistant")
      messages.push_back({{"role", "user"}, {"content", "continue"}});
    json::object req{{"model", "claude-sonnet-4-5"}, {"max_tokens", 50}, {"messages", messages}};
    if (pick(2))
      req["tools"] = json::array{{{"name", "Bash"}, {"input_schema", {{"type", "object"}}}}};
    auto text = json::serialize(req);
    auto [reason, kiro_body] = through_pipeline(text);
    CHECK_MESSAGE(reason.empty(), reason << "\nrequest: " << text);
  }
}
