// Kiro's request limits end to end: a ~2 MB Claude Code request through
// kiro-bridge and kiro-sim, shaping to the configured kiro.maxRequestBytes,
// Kiro's own 400 for a body over its limit, image limits on the current turn
// and a fresh agentContinuationId per request.

#include <doctest/doctest.h>

#include <regex>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/image_files.hpp"
#include "tests/support/sim_process.hpp"

using namespace kb::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// kiro-sim (plain HTTP) and kiro-bridge in front of it, sharing one account.
/// `sim_max_body` is kiro-sim's --max-body-bytes, `bridge_max_body` the
/// bridge's kiro.maxRequestBytes (absent: the defaults).
struct stack {
  temp_dir dir;
  std::unique_ptr<sim_process> sim;
  std::unique_ptr<child_process> bridge;
  int port = 0;

  stack(std::optional<int64_t> sim_max_body, std::optional<int64_t> bridge_max_body) {
    json sim_accounts = json::array({{{"id", "acct-1"},
                                      {"accessToken", "access-acct-1"},
                                      {"refreshToken", "refresh-acct-1"},
                                      {"authMethod", "social"},
                                      {"accessTokenExpiresInSeconds", 3600},
                                      {"usageLimit", 500}}});
    std::vector<std::string> args{"--host", "127.0.0.1", "--port", "0", "--accounts",
                                  dir.file("sim-accounts.json", sim_accounts.dump())};
    if (sim_max_body) {
      args.push_back("--max-body-bytes");
      args.push_back(std::to_string(*sim_max_body));
    }
    sim = std::make_unique<sim_process>(args, dir.file("sim.log"));
    std::string base = "http://127.0.0.1:" + std::to_string(sim->http_port());
    json kiro = {{"apiBaseUrl", base},
                 {"socialRefreshUrl", base + "/refreshToken"},
                 {"idcRefreshUrl", base + "/token"},
                 {"usageUrl", base}};
    if (bridge_max_body)
      kiro["maxRequestBytes"] = *bridge_max_body;
    json server = {{"host", "127.0.0.1"}, {"workersPerAccount", 2}, {"kiro", kiro}};
    json accounts = {{"version", "1.0.0"},
                     {"accounts",
                      json::array({{{"id", "acct-1"},
                                    {"email", "a@example.com"},
                                    {"credentials",
                                     {{"accessToken", "access-acct-1"},
                                      {"refreshToken", "refresh-acct-1"},
                                      {"expiresAt", epoch_ms() + 3'600'000},
                                      {"authMethod", "social"}}}}})}};
    write_text(dir.file("server-config.json"), server.dump(2));
    write_text(dir.file("kiro-accounts.json"), accounts.dump(2));
    bridge = std::make_unique<child_process>(
      std::vector<std::string>{std::string{KB_BIN_DIR} + "/kiro-bridge", "--config-dir",
                               dir.path(), "--port", "0", "--host", "127.0.0.1"},
      dir.file("bridge.log"));
    if (auto line = bridge->wait_for_line("listening on", 15s))
      port = port_of(*line);
    REQUIRE_MESSAGE(port > 0, read_text(dir.file("bridge.log")));
  }

  ~stack() {
    if (bridge)
      bridge->stop(SIGTERM, 10s);
  }

  httplib::Result post(const std::string& body) {
    httplib::Client cli{"127.0.0.1", port};
    cli.set_read_timeout(60, 0);
    cli.set_write_timeout(60, 0);
    return cli.Post("/v1/messages?beta=true", body, "application/json");
  }

  /// kiro-sim's recorded generateAssistantResponse calls, oldest first.
  json chats() {
    httplib::Client cli{"127.0.0.1", sim->http_port()};
    auto res = cli.Get("/__sim/requests?endpoint=generateAssistantResponse");
    REQUIRE(res);
    return json::parse(res->body)["requests"];
  }
};

json claude_code_fixture() {
  return json::parse(read_text(std::string{KB_SOURCE_DIR} + "/tests/fixtures/claude-code-request.json"));
}

json image_block(const std::string& file) {
  return {{"type", "image"},
          {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", base64_encode(file)}}}};
}

/// The real Claude Code request (tests/fixtures) grown into a session of
/// `rounds` Read calls, each answered with `text_bytes` of file text and a
/// 1280x800 screenshot of ~`shot_bytes`: the browser-work sessions whose
/// bodies outgrew 600 KB.
json claude_code_session(int rounds, size_t text_bytes, size_t shot_bytes) {
  json body = claude_code_fixture();
  body["model"] = "claude-sonnet-4-5";
  json messages = json::array();
  messages.push_back(body["messages"][0]); // the prompt; the trailing system entry goes last
  json trailing_system = body["messages"].back();
  for (int i = 0; i < rounds; ++i) {
    std::string id = "toolu_01" + std::to_string(1000 + i);
    messages.push_back({{"role", "assistant"},
                        {"content",
                         json::array({{{"type", "text"}, {"text", "Let me look at page " + std::to_string(i)}},
                                      {{"type", "tool_use"},
                                       {"id", id},
                                       {"name", "Read"},
                                       {"input", {{"file_path", "/tmp/ccap/work/page" + std::to_string(i) + ".png"}}}}})}});
    messages.push_back(
      {{"role", "user"},
       {"content",
        json::array({{{"type", "tool_result"},
                      {"tool_use_id", id},
                      {"content", json::array({{{"type", "text"}, {"text", std::string(text_bytes, 'a' + i % 26)}},
                                               image_block(png_file(1280, 800, shot_bytes))})}}})}});
  }
  messages.push_back({{"role", "assistant"}, {"content", "I have looked at every page."}});
  messages.push_back({{"role", "user"}, {"content", "Which page shows the login form?"}});
  messages.push_back(trailing_system);
  body["messages"] = messages;
  return body;
}

/// The size of a recorded body kiro-sim did not keep (it keeps 256 KB).
int64_t kept_out_bytes(const json& record) {
  std::smatch m;
  std::string detail = record["detail"].get<std::string>();
  if (!std::regex_search(detail, m, std::regex(R"(body of (\d+) bytes not kept)")))
    return 0;
  return std::stoll(m[1]);
}

std::string sse_text(const std::string& body) {
  std::string text;
  std::regex delta(R"re("text_delta","text":"([^"]*)")re");
  for (std::sregex_iterator it(body.begin(), body.end(), delta), end; it != end; ++it)
    text += (*it)[1];
  return text;
}

} // namespace

TEST_CASE("a 2 MB Claude Code session goes to Kiro whole and is answered") {
  stack s{std::nullopt, std::nullopt}; // today's Kiro on both sides
  std::string request = claude_code_session(5, 60'000, 250'000).dump();
  REQUIRE(request.size() > 2'000'000);
  auto res = s.post(request);
  REQUIRE(res);
  CHECK_MESSAGE(res->status == 200, res->body);
  CHECK(res->body.find("event: message_stop") != std::string::npos);
  CHECK_FALSE(sse_text(res->body).empty());
  auto chats = s.chats();
  REQUIRE(chats.size() == 1);
  CHECK(chats[0]["verdict"] == "accepted");
  CHECK(kept_out_bytes(chats[0]) > 1'900'000);
}

TEST_CASE("a session over kiro.maxRequestBytes is shaped to fit and still answered") {
  stack s{1'000'000, 1'000'000}; // the test's setting on both sides
  auto res = s.post(claude_code_session(5, 60'000, 250'000).dump());
  REQUIRE(res);
  CHECK_MESSAGE(res->status == 200, res->body);
  auto chats = s.chats();
  REQUIRE(chats.size() == 1);
  CHECK(chats[0]["verdict"] == "accepted");
  CHECK(kept_out_bytes(chats[0]) <= 1'000'000);
  CHECK(kept_out_bytes(chats[0]) > 600'000);
}

TEST_CASE("Kiro's own 400 for a body over its limit reaches the client as prompt is too long") {
  stack s{1'000'000, std::nullopt}; // Kiro stricter than the bridge's setting
  auto res = s.post(claude_code_session(5, 60'000, 250'000).dump());
  REQUIRE(res);
  CHECK(res->status == 400);
  auto error = json::parse(res->body)["error"];
  CHECK(error["type"] == "invalid_request_error");
  CHECK(error["message"].get<std::string>().starts_with(
    "prompt is too long: Kiro rejected the input (CONTENT_LENGTH_EXCEEDS_THRESHOLD)"));
  auto chats = s.chats();
  REQUIRE(chats.size() == 1);
  CHECK(chats[0]["verdict"] == "input_too_long");
  CHECK(chats[0]["reason"] == "body_too_large");
}

TEST_CASE("an image over Kiro's limits in the current turn is refused before any upstream call") {
  stack s{std::nullopt, std::nullopt};
  json body = {{"model", "claude-sonnet-4-5"},
               {"max_tokens", 64},
               {"messages",
                json::array({{{"role", "user"},
                              {"content", json::array({{{"type", "text"}, {"text", "What is this?"}},
                                                       image_block(png_file(9000, 600))})}}})}};
  auto res = s.post(body.dump());
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["error"]["message"] ==
        "messages.0.content.1.source.data: image dimensions exceed max allowed size: 8000 pixels "
        "(the image is 9000x600)");
  CHECK(s.chats().empty());

  // The same image earlier in the conversation no longer blocks it.
  body["messages"].push_back({{"role", "assistant"}, {"content", "It is too large to see."}});
  body["messages"].push_back({{"role", "user"}, {"content", "Then describe a cat."}});
  res = s.post(body.dump());
  REQUIRE(res);
  CHECK_MESSAGE(res->status == 200, res->body);
  auto chats = s.chats();
  REQUIRE(chats.size() == 1);
  CHECK(chats[0]["verdict"] == "accepted");
  auto history = chats[0]["body"]["conversationState"]["history"];
  CHECK(history[0]["userInputMessage"]["content"] ==
        "What is this?\n[image omitted: image/png: image dimensions exceed max allowed size: 8000 "
        "pixels (the image is 9000x600)]");
}

TEST_CASE("every request carries a fresh agentContinuationId") {
  stack s{std::nullopt, std::nullopt};
  json body = {{"model", "claude-sonnet-4-5"},
               {"max_tokens", 64},
               {"metadata", {{"user_id", "user_x_account__session_6f1c0d2e-8b3a-4c5d-9e7f-0a1b2c3d4e5f"}}},
               {"messages", json::array({{{"role", "user"}, {"content", "hello"}}})}};
  for (int i = 0; i < 2; ++i) {
    auto res = s.post(body.dump());
    REQUIRE(res);
    CHECK_MESSAGE(res->status == 200, res->body);
  }
  auto chats = s.chats();
  REQUIRE(chats.size() == 2);
  std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::vector<std::string> ids;
  for (auto& c : chats) {
    CHECK(c["verdict"] == "accepted");
    auto state = c["body"]["conversationState"];
    REQUIRE(state.contains("agentContinuationId"));
    ids.push_back(state["agentContinuationId"].get<std::string>());
    CHECK(std::regex_match(ids.back(), uuid4));
  }
  CHECK(ids[0] != ids[1]);
  // The conversation stays the same while the continuation id changes.
  CHECK(chats[0]["body"]["conversationState"]["conversationId"] ==
        chats[1]["body"]["conversationState"]["conversationId"]);
}
