#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <sys/stat.h>

#include "shared/config/accounts.hpp"
#include "shared/config/file_io.hpp"
#include "tests/unit/config/test_dir.hpp"

using namespace kb::config;
using json = nlohmann::json;

namespace {

// A seed account-manager export: one social account (ms expiry, unknown keys
// at every level), one IdC account (ISO expiry, top-level profileArn).
constexpr std::string_view seed_file = R"({
  "version": "1.0.0",
  "exportedBy": "Kiro Account Manager",
  "accounts": [
    {
      "id": "a1",
      "email": "one@example.com",
      "userId": "u-123",
      "nickname": "first",
      "idp": "Google",
      "credentials": {
        "accessToken": "aoa-SECRET-ACCESS-1",
        "csrfToken": "csrf-1",
        "refreshToken": "aor-SECRET-REFRESH-1",
        "expiresAt": 1767225600000,
        "authMethod": "social",
        "provider": "Google",
        "futureCredentialField": {"nested": [1, 2]}
      },
      "subscription": {"type": "Pro", "title": "KIRO PRO", "daysRemaining": 12},
      "usage": {"current": 12.5, "limit": 50, "percentUsed": 25, "lastUpdated": 1767000000000, "extra": "kept"},
      "tags": ["work"],
      "status": "active",
      "lastUsedAt": 1766000000000,
      "createdAt": "2025-06-01T10:00:00.000Z",
      "lastCheckedAt": null
    },
    {
      "id": "b2",
      "email": null,
      "idp": "BuilderId",
      "profileArn": "arn:aws:codewhisperer:us-east-1:111:profile/OLD",
      "credentials": {
        "refreshToken": "aor-SECRET-REFRESH-2",
        "clientId": "client-2",
        "clientSecret": "client-secret-2",
        "region": "us-east-1",
        "expiresAt": "2026-01-01T00:00:00.123456789+00:00",
        "authMethod": "idc"
      },
      "status": "error",
      "priority": 3
    }
  ],
  "groups": [{"id": "g1", "name": "team"}],
  "tags": [{"id": "t1", "name": "work"}]
})";

accounts_file parse_ok(std::string_view text) {
  auto file = parse_accounts(text, "kiro-accounts.json");
  if (!file) FAIL(file.error().to_string());
  return *file;
}

config_error parse_error(std::string_view text) {
  auto file = parse_accounts(text, "kiro-accounts.json");
  REQUIRE_FALSE(file.ok());
  return file.error();
}

json rendered(const accounts_file& file) {
  return json::parse(render_accounts(file));
}

std::string one_account(std::string_view account_json) {
  return R"({"version":"1.0.0","accounts":[)" + std::string(account_json) +
         R"(],"groups":[],"tags":[]})";
}

} // namespace

TEST_CASE("the seed account-manager file loads with both expiresAt forms") {
  auto file = parse_ok(seed_file);
  REQUIRE(file.accounts.size() == 2);

  const account& social = file.accounts[0];
  CHECK(social.id == "a1");
  CHECK_FALSE(social.needs_id);
  CHECK(social.email == "one@example.com");
  CHECK(social.nickname == "first");
  CHECK(social.idp == "Google");
  CHECK(social.credentials.access_token == "aoa-SECRET-ACCESS-1");
  CHECK(social.credentials.refresh_token == "aor-SECRET-REFRESH-1");
  CHECK(social.credentials.csrf_token == "csrf-1");
  CHECK(social.credentials.expires_at_ms == 1767225600000);
  CHECK(social.credentials.expires_at_form == time_form::epoch_ms);
  CHECK(social.credentials.method == auth_method::social);
  CHECK(social.credentials.provider == "Google");
  CHECK(social.subscription["title"] == "KIRO PRO");
  REQUIRE(social.usage.has_value());
  CHECK(social.usage->current == 12.5);
  CHECK(social.usage->limit == 50);
  CHECK(social.usage->percent_used == 25);
  CHECK(social.usage->last_updated_ms == 1767000000000);
  CHECK(social.status == "active");
  CHECK(social.priority == 0);
  CHECK(social.enabled);
  CHECK(social.last_used_at_ms == 1766000000000);
  CHECK(social.created_at_ms == 1748772000000);
  CHECK_FALSE(social.last_checked_at_ms.has_value());

  const account& idc = file.accounts[1];
  CHECK(idc.email == "");
  CHECK(idc.credentials.method == auth_method::idc);
  CHECK(idc.credentials.client_id == "client-2");
  CHECK(idc.credentials.client_secret == "client-secret-2");
  CHECK(idc.credentials.expires_at_ms == 1767225600123);
  CHECK(idc.credentials.expires_at_form == time_form::iso8601);
  CHECK(idc.credentials.profile_arn ==
        "arn:aws:codewhisperer:us-east-1:111:profile/OLD");
  CHECK(idc.status == "error");
  CHECK(idc.priority == 3);
  CHECK_FALSE(idc.usage.has_value());
}

TEST_CASE("a round trip without changes keeps every field, known and unknown") {
  auto file = parse_ok(seed_file);
  CHECK(rendered(file) == json::parse(seed_file));
  // Key order survives too, so diffs of the file stay small.
  CHECK(render_accounts(file) ==
        nlohmann::ordered_json::parse(seed_file).dump(2) + "\n");
}

TEST_CASE("a refreshed token is written in the form and place the file had") {
  auto file = parse_ok(seed_file);
  auto& social = file.accounts[0];
  social.credentials.access_token = "aoa-NEW-1";
  social.credentials.expires_at_ms = 1800000000000;
  social.last_used_at_ms = 1799999999000;
  social.created_at_ms = 1748772000001;
  auto& idc = file.accounts[1];
  idc.credentials.access_token = "aoa-NEW-2";
  idc.credentials.refresh_token = "aor-NEW-2";
  idc.credentials.expires_at_ms = 1800000000000;
  idc.credentials.profile_arn = "arn:aws:codewhisperer:us-east-1:111:profile/NEW";

  json expected = json::parse(seed_file);
  auto& e0 = expected["accounts"][0];
  e0["credentials"]["accessToken"] = "aoa-NEW-1";
  e0["credentials"]["expiresAt"] = 1800000000000;
  e0["lastUsedAt"] = 1799999999000;
  e0["createdAt"] = "2025-06-01T10:00:00.001Z";
  auto& e1 = expected["accounts"][1];
  e1["credentials"]["accessToken"] = "aoa-NEW-2";
  e1["credentials"]["refreshToken"] = "aor-NEW-2";
  e1["credentials"]["expiresAt"] = "2027-01-15T08:00:00.000Z";
  e1["profileArn"] = "arn:aws:codewhisperer:us-east-1:111:profile/NEW";
  CHECK(rendered(file) == expected);

  auto again = parse_ok(render_accounts(file));
  CHECK(again.accounts[1].credentials.expires_at_ms == 1800000000000);
  CHECK(again.accounts[1].credentials.expires_at_form == time_form::iso8601);
}

TEST_CASE("usage, status and enabled updates touch only their keys") {
  auto file = parse_ok(seed_file);
  auto& a = file.accounts[0];
  a.usage->current = 40;
  a.usage->percent_used = 80;
  a.status = "error";
  a.last_error = "MONTHLY_REQUEST_COUNT";
  a.enabled = false;
  a.last_checked_at_ms = 1767000001000;
  a.subscription["daysRemaining"] = 11;

  json expected = json::parse(seed_file);
  auto& e = expected["accounts"][0];
  e["usage"]["current"] = 40.0;
  e["usage"]["percentUsed"] = 80.0;
  e["status"] = "error";
  e["lastError"] = "MONTHLY_REQUEST_COUNT";
  e["enabled"] = false;
  e["lastCheckedAt"] = 1767000001000;
  e["subscription"]["daysRemaining"] = 11;
  CHECK(rendered(file) == expected);

  a.last_error.clear();
  a.usage.reset();
  json after = rendered(file);
  CHECK_FALSE(after["accounts"][0].contains("lastError"));
  CHECK_FALSE(after["accounts"][0].contains("usage"));
}

TEST_CASE("flat kiro.rs credentials stay flat and disabled stays disabled") {
  constexpr std::string_view text = R"([
    {"refreshToken": "aor-FLAT", "expiresAt": "2025-01-01T00:00:00Z",
     "authMethod": "idc", "clientId": "c", "clientSecret": "s",
     "priority": 2, "disabled": true, "machineId": "abc"}
  ])";
  auto file = parse_ok(text);
  REQUIRE(file.accounts.size() == 1);
  auto& a = file.accounts[0];
  CHECK(a.needs_id);
  CHECK_FALSE(a.enabled);
  CHECK(a.priority == 2);
  CHECK(a.credentials.method == auth_method::idc);
  CHECK(a.credentials.expires_at_ms == 1735689600000);
  CHECK(rendered(file) == json::parse(text));

  a.id = "generated-uuid";
  a.needs_id = false;
  a.enabled = true;
  a.credentials.refresh_token = "aor-ROTATED";
  json expected = json::parse(text);
  expected[0]["id"] = "generated-uuid";
  expected[0]["disabled"] = false;
  expected[0]["refreshToken"] = "aor-ROTATED";
  auto out = rendered(file);
  CHECK(out.is_array());
  CHECK(out == expected);
}

TEST_CASE("an added account is written in the seed shape and a removed one is dropped") {
  auto file = parse_ok(seed_file);
  CHECK(file.remove("a1"));
  CHECK_FALSE(file.remove("a1"));
  account added;
  added.id = "c3";
  added.email = "new@example.com";
  added.credentials.access_token = "aoa-ADDED";
  added.credentials.refresh_token = "aor-ADDED";
  added.credentials.expires_at_ms = 1767225600000;
  added.credentials.provider = "Github";
  added.created_at_ms = 1767000000000;
  file.accounts.push_back(added);

  json out = rendered(file);
  json expected = json::parse(seed_file);
  expected["accounts"].erase(0);
  expected["accounts"].push_back(json::parse(R"({
    "id": "c3", "email": "new@example.com",
    "credentials": {"accessToken": "aoa-ADDED", "refreshToken": "aor-ADDED",
                    "expiresAt": 1767225600000, "authMethod": "social",
                    "provider": "Github"},
    "status": "active", "createdAt": 1767000000000})"));
  CHECK(out == expected);
  REQUIRE(file.find("c3") != nullptr);
  CHECK(file.find("a1") == nullptr);
}

TEST_CASE("an account created in memory with an ISO expiry writes an ISO string") {
  accounts_file file;
  account a;
  a.id = "x";
  a.credentials.refresh_token = "aor-X";
  a.credentials.client_id = "cid";
  a.credentials.client_secret = "csecret";
  a.credentials.method = auth_method::idc;
  a.credentials.expires_at_ms = 1735689600000;
  a.credentials.expires_at_form = time_form::iso8601;
  file.accounts.push_back(a);
  json out = rendered(file);
  CHECK(out == json::parse(R"({"version":"1.0.0","accounts":[{"id":"x",
    "credentials":{"refreshToken":"aor-X","clientId":"cid","clientSecret":"csecret",
    "expiresAt":"2025-01-01T00:00:00.000Z","authMethod":"IdC"},"status":"active"}],
    "groups":[],"tags":[]})"));
}

TEST_CASE("duplicate ids are refused naming the second occurrence") {
  auto err = parse_error(R"({"accounts":[
    {"id":"same","credentials":{"refreshToken":"aor-1"}},
    {"id":"other","credentials":{"refreshToken":"aor-2"}},
    {"id":"same","credentials":{"refreshToken":"aor-3"}}]})");
  CHECK(err.key == "accounts[2].id");
  CHECK(err.message == "duplicate id \"same\"");
}

TEST_CASE("accounts without an id are flagged for the caller to name") {
  auto file = parse_ok(R"({"accounts":[{"credentials":{"refreshToken":"aor-1"}},
                                       {"id":"","credentials":{"refreshToken":"aor-2"}}]})");
  CHECK(file.accounts[0].needs_id);
  CHECK(file.accounts[1].needs_id);
}

TEST_CASE("IdC is inferred from clientId and clientSecret when authMethod is absent") {
  auto file = parse_ok(one_account(
    R"({"id":"i","credentials":{"refreshToken":"r","clientId":"c","clientSecret":"s"}})"));
  CHECK(file.accounts[0].credentials.method == auth_method::idc);
  auto social = parse_ok(one_account(
    R"({"id":"s","credentials":{"refreshToken":"r","clientId":"c"}})"));
  CHECK(social.accounts[0].credentials.method == auth_method::social);
  // Inferred, so nothing is added on save.
  CHECK_FALSE(rendered(file)["accounts"][0]["credentials"].contains("authMethod"));
}

TEST_CASE("authMethod spellings are normalised and written back unchanged") {
  for (const char* spelling : {"IdC", "idc", "IDC", "builder-id", "BuilderId"}) {
    CAPTURE(spelling);
    auto text = one_account(std::string(R"({"id":"i","credentials":{"refreshToken":"r",)") +
                            R"("clientId":"c","clientSecret":"s","authMethod":")" +
                            spelling + "\"}}");
    auto file = parse_ok(text);
    CHECK(file.accounts[0].credentials.method == auth_method::idc);
    CHECK(rendered(file)["accounts"][0]["credentials"]["authMethod"] == spelling);
  }
  auto file = parse_ok(one_account(R"({"id":"i","credentials":{"refreshToken":"r","authMethod":"Social"}})"));
  CHECK(file.accounts[0].credentials.method == auth_method::social);
  auto err = parse_error(one_account(R"({"id":"i","credentials":{"refreshToken":"r","authMethod":"saml"}})"));
  CHECK(err.key == "accounts[0].credentials.authMethod");
  CHECK(err.message == "expected social or IdC");
}

TEST_CASE("an IdC account without clientSecret is refused") {
  auto err = parse_error(one_account(
    R"({"id":"i","credentials":{"refreshToken":"r","clientId":"c","authMethod":"IdC"}})"));
  CHECK(err.key == "accounts[0].credentials");
  CHECK(err.message == "authMethod IdC needs clientId and clientSecret");
}

TEST_CASE("an account without any token is refused") {
  auto err = parse_error(one_account(R"({"id":"i","credentials":{"accessToken":""}})"));
  CHECK(err.key == "accounts[0].credentials");
  CHECK(err.message == "needs a refreshToken or an accessToken");
  CHECK(parse_error(one_account(R"({"id":"i"})")).key == "accounts[0].credentials");
  // An access token alone is enough (it may be used until it expires).
  CHECK(parse_ok(one_account(R"({"id":"i","credentials":{"accessToken":"a"}})"))
          .accounts.size() == 1);
}

TEST_CASE("wrong types are named with their full key path") {
  struct bad_case {
    std::string account;
    const char* key;
    const char* message;
  };
  const std::string ok_creds = R"("credentials":{"refreshToken":"r"})";
  const std::vector<bad_case> cases{
    {R"({"id":5,)" + ok_creds + "}", "accounts[3].id", "expected a string, got number"},
    {R"({"email":[],)" + ok_creds + "}", "accounts[3].email",
     "expected a string, got array"},
    {R"({"priority":"high",)" + ok_creds + "}", "accounts[3].priority",
     "expected a number, got string"},
    {R"({"enabled":"yes",)" + ok_creds + "}", "accounts[3].enabled",
     "expected a boolean, got string"},
    {R"({"disabled":1,)" + ok_creds + "}", "accounts[3].disabled",
     "expected a boolean, got number"},
    {R"({"lastUsedAt":true,)" + ok_creds + "}", "accounts[3].lastUsedAt",
     "expected epoch milliseconds or an ISO-8601 string, got boolean"},
    {R"({"usage":[],)" + ok_creds + "}", "accounts[3].usage",
     "expected an object, got array"},
    {R"({"usage":{"current":"1"},)" + ok_creds + "}", "accounts[3].usage.current",
     "expected a number, got string"},
    {R"({"credentials":"aor-TOKEN"})", "accounts[3].credentials",
     "expected an object, got string"},
    {R"({"credentials":{"refreshToken":42}})", "accounts[3].credentials.refreshToken",
     "expected a string, got number"},
    {R"({"credentials":{"refreshToken":"r","expiresAt":{}}})",
     "accounts[3].credentials.expiresAt",
     "expected epoch milliseconds or an ISO-8601 string, got object"},
    {R"({"credentials":{"refreshToken":"r","expiresAt":"tomorrow"}})",
     "accounts[3].credentials.expiresAt",
     "expected epoch milliseconds or an ISO-8601 time such as "
     "2025-01-01T00:00:00.000Z"},
    {R"({"credentials":{"refreshToken":"r","clientSecret":false}})",
     "accounts[3].credentials.clientSecret", "expected a string, got boolean"},
    {R"({"refreshToken":"r","expiresAt":[]})", "accounts[3].expiresAt",
     "expected epoch milliseconds or an ISO-8601 string, got array"},
    {R"("just a string")", "accounts[3]", "expected an object, got string"},
  };
  const std::string good = R"({"id":"g%","credentials":{"refreshToken":"r"}})";
  for (const auto& bad : cases) {
    CAPTURE(bad.account);
    std::string list;
    for (int i = 0; i < 3; ++i) {
      std::string g = good;
      g.replace(g.find('%'), 1, std::to_string(i));
      list += g + ",";
    }
    auto err = parse_error(R"({"accounts":[)" + list + bad.account + "]}");
    CHECK(err.key == bad.key);
    CHECK(err.message == bad.message);
  }
  CHECK(parse_error(R"({"accounts":{}})").message == "expected an array, got object");
  CHECK(parse_error(R"({"version":"1.0.0"})").key == "accounts");
  CHECK(parse_error(R"("accounts")").message ==
        "expected an object or an array, got string");
}

TEST_CASE("no error message quotes a token") {
  const std::vector<std::string> texts{
    // unterminated string: nlohmann's message would quote the input
    "{\"accounts\":[{\"credentials\":{\"refreshToken\":\"aor-SECRET-VALUE\n}}]}",
    "{\"accounts\":[{\"credentials\":{\"refreshToken\":\"aor-SECRET-VALUE\\x\"}}]}",
    R"({"accounts":[{"credentials":{"refreshToken":"aor-SECRET-VALUE","expiresAt":"aor-SECRET-VALUE"}}]})",
    R"({"accounts":[{"credentials":{"accessToken":"aor-SECRET-VALUE","authMethod":"IdC"}}]})",
    R"({"accounts":[{"credentials":{"accessToken":"aor-SECRET-VALUE","authMethod":"aor-SECRET-VALUE"}}]})",
  };
  for (const auto& text : texts) {
    CAPTURE(text);
    auto err = parse_error(text);
    CHECK(err.to_string().find("SECRET") == std::string::npos);
  }
  auto syntax = parse_error(texts[0]);
  CHECK(syntax.line == 1);
  CHECK(syntax.column == 62); // the raw line feed
  CHECK(syntax.message ==
        "syntax error while parsing value - invalid string: control character "
        "U+000A (LF) must be escaped to \\u000A or \\n");
}

TEST_CASE("a missing accounts file loads as empty and saves as the seed document") {
  kb::config::test::temp_dir dir;
  const auto path = dir.file("kiro-accounts.json");
  auto file = load_accounts(path);
  REQUIRE(file.ok());
  CHECK(file->accounts.empty());
  CHECK(json::parse(render_accounts(*file)) == json::parse(empty_accounts_document));

  REQUIRE_FALSE(save_accounts(path, *file).has_value());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto back = load_accounts(path);
  REQUIRE(back.ok());
  CHECK(back->accounts.empty());
}

TEST_CASE("a saved accounts file loads back equal") {
  kb::config::test::temp_dir dir;
  const auto path = dir.file("kiro-accounts.json");
  auto file = parse_ok(seed_file);
  file.accounts[0].credentials.access_token = "aoa-SAVED";
  REQUIRE_FALSE(save_accounts(path, file).has_value());
  auto back = load_accounts(path);
  REQUIRE(back.ok());
  REQUIRE(back->accounts.size() == 2);
  CHECK(back->accounts[0].credentials == file.accounts[0].credentials);
  CHECK(back->accounts[1].credentials == file.accounts[1].credentials);
  CHECK(json::parse(render_accounts(*back)) == json::parse(render_accounts(file)));
}

TEST_CASE("the shipped example accounts file loads") {
  auto file = load_accounts(std::string(KB_SOURCE_DIR) +
                            "/config/kiro-accounts.example.json");
  REQUIRE(file.ok());
  REQUIRE(file->accounts.size() == 2);
  CHECK(file->accounts[0].credentials.method == auth_method::social);
  CHECK(file->accounts[1].credentials.method == auth_method::idc);
  CHECK(file->accounts[1].credentials.expires_at_form == time_form::iso8601);
}

TEST_CASE("saving over a 0644 accounts file leaves it 0600 (issue 18.5)") {
  kb::config::test::temp_dir dir;
  const auto path = dir.file("kiro-accounts.json");
  auto file = parse_ok(seed_file);
  REQUIRE_FALSE(save_accounts(path, file).has_value());
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  file.accounts[0].credentials.access_token = "aoa-ROTATED";
  REQUIRE_FALSE(save_accounts(path, file).has_value());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}
