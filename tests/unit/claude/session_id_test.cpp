#include <doctest/doctest.h>

#include "shared/claude/session_id.hpp"

using kb::claude::is_uuid;
using kb::claude::session_id_from_user_id;

TEST_CASE("a canonical UUID is recognised and near misses are not") {
  CHECK(is_uuid("0d495258-a295-4c46-839b-d2e42f135c64"));
  CHECK(is_uuid("0D495258-A295-4C46-839B-D2E42F135C64"));
  CHECK_FALSE(is_uuid("0d495258-a295-4c46-839b-d2e42f135c6"));
  CHECK_FALSE(is_uuid("0d495258a295-4c46-839b-d2e42f135c64x"));
  CHECK_FALSE(is_uuid("0d495258-a295-4c46-839b-d2e42f135c6g"));
  CHECK_FALSE(is_uuid(""));
}

TEST_CASE("a session id is taken from a JSON user_id") {
  CHECK(session_id_from_user_id(R"({"device_id":"d","session_id":"0d495258-a295-4c46-839b-d2e42f135c64"})") ==
        "0d495258-a295-4c46-839b-d2e42f135c64");
  CHECK(session_id_from_user_id(R"( {"session_id":"not-a-uuid"})").empty());
  CHECK(session_id_from_user_id(R"({"session_id":5})").empty());
  CHECK(session_id_from_user_id(R"({"session_id":)").empty());
}

TEST_CASE("a session id is taken after the session_ marker") {
  CHECK(session_id_from_user_id("user_abc_account_def_session_7b1e3d2a-9c4f-4e5a-8b6d-1f2e3a4b5c6d") ==
        "7b1e3d2a-9c4f-4e5a-8b6d-1f2e3a4b5c6d");
  CHECK(session_id_from_user_id("user_abc_account__session_").empty());
  CHECK(session_id_from_user_id("user_abc_account__session_7b1e3d2a").empty());
  CHECK(session_id_from_user_id("plain-user").empty());
}
