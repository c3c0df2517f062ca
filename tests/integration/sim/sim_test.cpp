#include <doctest/doctest.h>

#include <chrono>
#include <memory>

#include <boost/json.hpp>
#include <httplib.h>

#include "shared/eventstream/codec.hpp"
#include "tests/support/sim_process.hpp"

namespace json = boost::json;
using kb::test::sim_process;
using kb::test::temp_dir;

namespace {

constexpr const char* accounts_json = R"([
  {"id":"social-1","accessToken":"aoa-social-1-token","refreshToken":"aor-social-1-refresh",
   "authMethod":"social","usageLimit":100},
  {"id":"idc-1","accessToken":"aoa-idc-1-token","refreshToken":"aor-idc-1-refresh",
   "authMethod":"IdC","clientId":"client-idc-1","clientSecret":"secret-idc-1"}])";

std::string chat_body(std::string content, bool with_profile_arn = true) {
  json::object uim{{"content", std::move(content)},
                   {"modelId", "claude-sonnet-4.5"},
                   {"origin", "AI_EDITOR"}};
  json::object body{
      {"conversationState",
       json::object{{"chatTriggerType", "MANUAL"},
                    {"conversationId", "0b7f3c1e-8f5e-4d7c-9a51-5d0c3b6f2a10"},
                    {"currentMessage", json::object{{"userInputMessage", std::move(uim)}}}}}};
  if (with_profile_arn)
    body["profileArn"] = "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";
  return json::serialize(body);
}

httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

/// The raw bytes of a (possibly cut) streamed answer.
struct streamed {
  int status = 0;
  httplib::Error error = httplib::Error::Unknown;
  std::string bytes;
  std::string request_id;
};

template <class Client>
streamed post_stream(Client& cli, const std::string& path, const std::string& body,
                     httplib::Headers headers,
                     const std::string& content_type = "application/json") {
  streamed out;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = std::move(headers);
  req.headers.emplace("Content-Type", content_type);
  req.body = body;
  req.content_receiver = [&out](const char* data, size_t n, uint64_t, uint64_t) {
    out.bytes.append(data, n);
    return true;
  };
  httplib::Response res;
  cli.send(req, res, out.error);
  out.status = res.status;
  out.request_id = res.get_header_value("x-amzn-requestid");
  return out;
}

struct event {
  std::string type;
  std::string message_type;
  json::value payload;
};

std::vector<event> decode(const std::string& bytes, bool* partial = nullptr) {
  kb::eventstream::decoder d;
  std::vector<kb::eventstream::message> messages;
  d.feed(bytes, messages);
  if (partial)
    *partial = d.has_partial();
  std::vector<event> out;
  for (const auto& m : messages) {
    auto* et = m.string_header(":event-type");
    auto* xt = m.string_header(":exception-type");
    auto* mt = m.string_header(":message-type");
    out.push_back({et ? *et : (xt ? *xt : ""), mt ? *mt : "", json::parse(m.payload)});
  }
  return out;
}

std::string text_of(const std::vector<event>& events) {
  std::string text;
  for (const auto& e : events)
    if (e.type == "assistantResponseEvent")
      text += e.payload.at("content").as_string().c_str();
  return text;
}

void check_default_answer(const streamed& s) {
  CHECK(s.status == 200);
  CHECK(s.error == httplib::Error::Success);
  CHECK(s.request_id.size() == 36);
  auto events = decode(s.bytes);
  REQUIRE(events.size() >= 3);
  CHECK(text_of(events) == "Hello from kiro-sim. You said: What is 2+2?");
  CHECK(events[events.size() - 2].type == "meteringEvent");
  CHECK(events.back().type == "contextUsageEvent");
  CHECK(events.back().payload.at("contextUsagePercentage").to_number<double>() > 0.0);
}

/// A running kiro-sim with the two test accounts, plus a client for it.
struct sim_fixture {
  temp_dir dir;
  sim_process sim{{"--host", "127.0.0.1", "--port", "0", "--threads", "16", "--accounts",
                   dir.file("accounts.json", accounts_json)}};
  httplib::Client cli{"127.0.0.1", sim.http_port()};

  sim_fixture() {
    cli.set_tcp_nodelay(true);
    cli.set_read_timeout(10, 0);
  }

  void script(const std::string& entries) {
    auto r = cli.Post("/__sim/script", entries, "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  json::value last_request() {
    auto r = cli.Get("/__sim/requests");
    REQUIRE(r);
    auto v = json::parse(r->body);
    REQUIRE_FALSE(v.at("requests").as_array().empty());
    return v.at("requests").as_array().back();
  }
};

} // namespace

TEST_CASE("a valid request over HTTP streams a decodable default answer") {
  sim_fixture f;
  CHECK(f.sim.banner() == "kiro-sim listening http=127.0.0.1:" + std::to_string(f.sim.http_port()));
  auto s = post_stream(f.cli, "/generateAssistantResponse", chat_body("What is 2+2?"),
                       bearer("aoa-social-1-token"));
  check_default_answer(s);
  auto rec = f.last_request();
  CHECK(rec.at("verdict") == "accepted");
  CHECK(rec.at("accountId") == "social-1");
  CHECK(rec.at("headers").at("Authorization") == "Bearer ****oken");
}

TEST_CASE("the SDK form with x-amz-target answers like the plain path") {
  sim_fixture f;
  auto headers = bearer("aoa-social-1-token");
  headers.emplace("x-amz-target", "AmazonCodeWhispererStreamingService.GenerateAssistantResponse");
  auto s = post_stream(f.cli, "/", chat_body("What is 2+2?"), headers,
                       "application/x-amz-json-1.0");
  check_default_answer(s);
}

TEST_CASE("a valid request over HTTPS streams the same answer") {
  temp_dir dir;
  auto tls = kb::test::make_self_signed_cert(dir);
  REQUIRE(tls.has_value());
  sim_process sim({"--port", "0", "--tls-port", "0", "--cert", tls->cert, "--key", tls->key,
                   "--accounts", dir.file("accounts.json", accounts_json)});
  REQUIRE(sim.https_port() > 0);
  httplib::SSLClient cli("127.0.0.1", sim.https_port());
  cli.set_ca_cert_path(tls->cert.c_str());
  cli.enable_server_certificate_verification(true);
  cli.set_read_timeout(10, 0);
  auto s = post_stream(cli, "/generateAssistantResponse", chat_body("What is 2+2?"),
                       bearer("aoa-social-1-token"));
  check_default_answer(s);

  httplib::SSLClient untrusting("127.0.0.1", sim.https_port());
  untrusting.enable_server_certificate_verification(true);
  auto refused = untrusting.Get("/ListAvailableModels?origin=AI_EDITOR");
  CHECK(refused.error() == httplib::Error::SSLServerVerification);
}

TEST_CASE("an unknown bearer token is refused with Kiro's 403") {
  sim_fixture f;
  auto r = f.cli.Post("/generateAssistantResponse", bearer("not-a-token"),
                      chat_body("hello"), "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->body == R"({"message":"The bearer token included in the request is invalid.","reason":null})");
  CHECK(f.last_request().at("reason") == "bearer_unknown");
}

TEST_CASE("a social refresh issues a working token and the old one dies") {
  sim_fixture f;
  auto r = f.cli.Post("/refreshToken", R"({"refreshToken":"aor-social-1-refresh"})",
                      "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto v = json::parse(r->body);
  CHECK(v.at("expiresIn") == 3600);
  CHECK(v.at("profileArn") == "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK");
  std::string fresh = v.at("accessToken").as_string().c_str();
  auto ok = post_stream(f.cli, "/generateAssistantResponse", chat_body("What is 2+2?"),
                        bearer(fresh));
  check_default_answer(ok);
  auto old = f.cli.Post("/generateAssistantResponse", bearer("aoa-social-1-token"),
                        chat_body("hello"), "application/json");
  REQUIRE(old);
  CHECK(old->status == 403);
  auto bad = f.cli.Post("/refreshToken", R"({"refreshToken":"aor-unknown"})", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 401);
}

TEST_CASE("an IdC refresh works and bad grants or clients are refused") {
  sim_fixture f;
  auto r = f.cli.Post("/token",
                      R"({"clientId":"client-idc-1","clientSecret":"secret-idc-1",
                          "refreshToken":"aor-idc-1-refresh","grantType":"refresh_token"})",
                      "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto v = json::parse(r->body);
  CHECK(v.at("tokenType") == "Bearer");
  std::string fresh = v.at("accessToken").as_string().c_str();
  // IdC without profileArn is served; with it, Kiro answers 403.
  check_default_answer(post_stream(f.cli, "/generateAssistantResponse",
                                   chat_body("What is 2+2?", false), bearer(fresh)));
  auto with_arn = f.cli.Post("/generateAssistantResponse", bearer(fresh), chat_body("hi", true),
                             "application/json");
  REQUIRE(with_arn);
  CHECK(with_arn->status == 403);
  CHECK(f.last_request().at("reason") == "profile_arn_with_builder_id");

  auto bad_grant = f.cli.Post("/token",
                              R"({"clientId":"client-idc-1","clientSecret":"secret-idc-1",
                                  "refreshToken":"nope","grantType":"refresh_token"})",
                              "application/json");
  REQUIRE(bad_grant);
  CHECK(bad_grant->status == 400);
  CHECK(bad_grant->body ==
        R"({"error":"invalid_grant","error_description":"Invalid refresh token provided"})");
  auto bad_client = f.cli.Post("/token",
                               R"({"clientId":"client-idc-1","clientSecret":"wrong",
                                   "refreshToken":"aor-idc-1-refresh","grantType":"refresh_token"})",
                               "application/json");
  REQUIRE(bad_client);
  CHECK(bad_client->status == 401);
}

TEST_CASE("a scripted quota hit answers 402 and shows in getUsageLimits") {
  sim_fixture f;
  f.script(R"({"match":{"account":"social-1"},"response":{"kind":"quota"}})");
  auto r = f.cli.Post("/generateAssistantResponse", bearer("aoa-social-1-token"),
                      chat_body("hello"), "application/json");
  REQUIRE(r);
  CHECK(r->status == 402);
  CHECK(r->body == R"({"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"})");
  auto u = f.cli.Get("/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST",
                     bearer("aoa-social-1-token"));
  REQUIRE(u);
  REQUIRE(u->status == 200);
  auto v = json::parse(u->body);
  CHECK(v.at("usageBreakdownList").at(0).at("currentUsage") == 100);
  CHECK(v.at("usageBreakdownList").at(0).at("usageLimit") == 100);
}

TEST_CASE("a scripted throttle answers 429 once and then the default resumes") {
  sim_fixture f;
  f.script(R"({"response":{"kind":"throttle"}})");
  auto r = f.cli.Post("/generateAssistantResponse", bearer("aoa-social-1-token"),
                      chat_body("hello"), "application/json");
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(r->body ==
        R"({"message":"Too many requests, please wait before trying again.","reason":null})");
  check_default_answer(post_stream(f.cli, "/generateAssistantResponse",
                                   chat_body("What is 2+2?"), bearer("aoa-social-1-token")));
}

TEST_CASE("a scripted exception ends the stream with an exception frame") {
  sim_fixture f;
  f.script(R"({"response":{"kind":"exception","exceptionType":"ThrottlingException",
               "text":"aaaabbbbcccc","chunks":3,"afterChunks":1,"message":"Rate exceeded"}})");
  auto s = post_stream(f.cli, "/generateAssistantResponse", chat_body("hi"),
                       bearer("aoa-social-1-token"));
  CHECK(s.status == 200);
  CHECK(s.error == httplib::Error::Success);
  auto events = decode(s.bytes);
  REQUIRE(events.size() == 2);
  CHECK(events[0].payload.at("content") == "aaaa");
  CHECK(events[1].message_type == "exception");
  CHECK(events[1].type == "ThrottlingException");
  CHECK(events[1].payload.at("message") == "Rate exceeded");
}

TEST_CASE("a scripted drop cuts the connection mid-frame") {
  sim_fixture f;
  f.script(R"({"response":{"kind":"drop","afterBytes":150}})");
  auto s = post_stream(f.cli, "/generateAssistantResponse", chat_body("hi"),
                       bearer("aoa-social-1-token"));
  CHECK(s.status == 200);
  CHECK(s.error != httplib::Error::Success);
  CHECK(s.bytes.size() == 150);
  bool partial = false;
  auto events = decode(s.bytes, &partial);
  CHECK(partial);
  CHECK(events.size() == 1);
}

TEST_CASE("a scripted tool call streams fragments that join to the input") {
  sim_fixture f;
  f.script(R"({"response":{"kind":"tool","name":"Read","input":{"file_path":"/tmp/x"},
               "fragments":3}})");
  auto s = post_stream(f.cli, "/generateAssistantResponse", chat_body("read"),
                       bearer("aoa-social-1-token"));
  auto events = decode(s.bytes);
  REQUIRE(events.size() == 5);
  std::string input;
  for (int i = 0; i < 3; ++i) {
    CHECK(events[i].type == "toolUseEvent");
    input += events[i].payload.at("input").as_string().c_str();
  }
  CHECK(events[2].payload.at("stop") == true);
  CHECK(json::parse(input) == json::parse(R"({"file_path":"/tmp/x"})"));
}

TEST_CASE("chunk delays really pace the stream") {
  sim_fixture f;
  f.script(R"({"response":{"kind":"slow","text":"abcd","chunks":4,"chunkDelayMs":60}})");
  auto start = std::chrono::steady_clock::now();
  auto s = post_stream(f.cli, "/generateAssistantResponse", chat_body("hi"),
                       bearer("aoa-social-1-token"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(text_of(decode(s.bytes)) == "abcd");
  CHECK(elapsed >= std::chrono::milliseconds(180));
}

TEST_CASE("a malformed request is refused and its reason recorded") {
  sim_fixture f;
  auto body = json::parse(chat_body("hi")).as_object();
  body["conversationState"].as_object()["history"] = json::array{
      json::object{{"assistantResponseMessage", json::object{{"content", "orphan"}}}}};
  auto r = f.cli.Post("/generateAssistantResponse", bearer("aoa-social-1-token"),
                      json::serialize(body), "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body == R"({"message":"Improperly formed request.","reason":null})");
  CHECK(f.last_request().at("reason") == "history_must_start_with_user");
}

TEST_CASE("an expired token is refused until the account refreshes") {
  sim_fixture f;
  auto e = f.cli.Post("/__sim/expire", R"({"id":"social-1"})", "application/json");
  REQUIRE(e);
  CHECK(e->status == 200);
  auto r = f.cli.Post("/generateAssistantResponse", bearer("aoa-social-1-token"),
                      chat_body("hi"), "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(f.last_request().at("reason") == "bearer_expired");
}

TEST_CASE("the model list and stats are served") {
  sim_fixture f;
  auto m = f.cli.Get("/ListAvailableModels?origin=AI_EDITOR", bearer("aoa-social-1-token"));
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(json::parse(m->body).at("defaultModel").at("modelId") == "auto");
  auto s = f.cli.Get("/__sim/stats");
  REQUIRE(s);
  auto v = json::parse(s->body);
  CHECK(v.at("byEndpoint").at("ListAvailableModels") == 1);
  CHECK(v.at("byAccount").at("social-1").at("total") == 1);
}

TEST_CASE("SIGTERM stops the simulator with exit status 0 even mid-stream") {
  temp_dir dir;
  sim_process sim({"--port", "0", "--accounts", dir.file("accounts.json", accounts_json)});
  httplib::Client cli("127.0.0.1", sim.http_port());
  REQUIRE(cli.Post("/__sim/script",
                   R"({"response":{"kind":"slow","text":"abcdefgh","chunks":8,"chunkDelayMs":2000}})",
                   "application/json"));
  std::thread client([&] {
    httplib::Client c("127.0.0.1", sim.http_port());
    c.Post("/generateAssistantResponse", bearer("aoa-social-1-token"), chat_body("hi"),
           "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  CHECK(sim.stop() == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  client.join();
}

TEST_CASE("SIGTERM exits promptly even with an idle keep-alive connection open") {
  temp_dir dir;
  sim_process sim({"--port", "0", "--accounts", dir.file("accounts.json", accounts_json)});
  httplib::Client cli("127.0.0.1", sim.http_port());
  cli.set_keep_alive(true);
  auto r = cli.Get("/__sim/stats");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto start = std::chrono::steady_clock::now();
  CHECK(sim.stop() == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
}

TEST_CASE("unknown paths answer a JSON 404") {
  sim_fixture f;
  auto r = f.cli.Get("/nope");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body == R"({"message":"Not found.","reason":null})");
  auto bad = f.cli.Post("/__sim/expire", R"({"id":"ghost"})", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 404);
  CHECK(bad->body == R"({"error":"unknown account"})");
}
