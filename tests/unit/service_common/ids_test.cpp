#include <doctest/doctest.h>

#include <array>
#include <set>
#include <string>

#include "services/common/ids.hpp"

namespace {

bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

size_t base62_index(char c) {
  if (c <= '9')
    return static_cast<size_t>(c - '0');
  if (c <= 'Z')
    return static_cast<size_t>(c - 'A') + 10;
  return static_cast<size_t>(c - 'a') + 36;
}

} // namespace

TEST_CASE("request and message ids are a prefix and 24 base62 characters, all different") {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    for (auto id : {kb::new_request_id(), kb::new_message_id()}) {
      REQUIRE(id.size() == 28);
      CHECK((id.rfind("req_", 0) == 0 || id.rfind("msg_", 0) == 0));
      for (size_t k = 4; k < id.size(); ++k)
        REQUIRE(is_base62(id[k]));
      CHECK(seen.insert(id).second);
    }
  }
}

TEST_CASE("every position of an id uses the whole base62 alphabet about evenly") {
  // 24 positions x 62 symbols; 31,000 ids give each cell ~500 hits.
  std::array<std::array<int, 62>, 24> hits{};
  const int ids = 31000;
  for (int i = 0; i < ids; ++i) {
    auto id = kb::new_request_id();
    for (size_t k = 0; k < 24; ++k)
      ++hits[k][base62_index(id[4 + k])];
  }
  for (size_t k = 0; k < 24; ++k) {
    for (size_t c = 0; c < 62; ++c) {
      INFO("position " << k << ", symbol " << c);
      CHECK(hits[k][c] > 350); // expected 500; 350 is > 6 standard deviations off
      CHECK(hits[k][c] < 650);
    }
  }
}

TEST_CASE("random uuids are version 4, variant 1, lowercase and different") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto u = kb::random_uuid();
    REQUIRE(u.size() == 36);
    CHECK(u[8] == '-');
    CHECK(u[13] == '-');
    CHECK(u[18] == '-');
    CHECK(u[23] == '-');
    CHECK(u[14] == '4');
    CHECK(std::string{"89ab"}.find(u[19]) != std::string::npos);
    for (char c : u)
      CHECK((c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
    CHECK(seen.insert(u).second);
  }
}
