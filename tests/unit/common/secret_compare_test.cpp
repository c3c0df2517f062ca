#include <doctest/doctest.h>

#include "shared/common/secret_compare.hpp"

using kb::same_secret;
using kb::secret_in;

TEST_CASE("same_secret wants every byte and the length to agree") {
  CHECK(same_secret("client-key-0123", "client-key-0123"));
  CHECK_FALSE(same_secret("client-key-0124", "client-key-0123"));
  CHECK_FALSE(same_secret("client-key-012", "client-key-0123"));   // a prefix
  CHECK_FALSE(same_secret("client-key-01234", "client-key-0123")); // longer
  CHECK_FALSE(same_secret("", "x"));
  CHECK(same_secret("", ""));
  std::string with_nul{"ab\0c", 4};
  CHECK_FALSE(same_secret(with_nul, "ab"));
}

TEST_CASE("secret_in finds a key among apiKeys, wherever it is, and never an empty one") {
  std::vector<std::string> keys{"sk-first-000001", "sk-second-00002", "sk-third-000003"};
  CHECK(secret_in(keys, "sk-first-000001"));
  CHECK(secret_in(keys, "sk-third-000003"));
  CHECK_FALSE(secret_in(keys, "sk-third-00000"));
  CHECK_FALSE(secret_in(keys, "sk-third-0000033"));
  CHECK_FALSE(secret_in(keys, ""));
  CHECK_FALSE(secret_in({}, "sk-first-000001"));
  CHECK_FALSE(secret_in({""}, ""));
}
