#include <doctest/doctest.h>

#include <string>

#include "shared/common/sha256.hpp"

namespace {

std::string hex_of(std::string_view s) {
  auto d = kb::sha256(s);
  return kb::hex_lower(d.data(), d.size());
}

} // namespace

TEST_CASE("sha256 matches the FIPS 180-2 test vectors") {
  CHECK(hex_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex_of(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("hex_lower writes two lowercase digits per byte") {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa0, 0xff};
  CHECK(kb::hex_lower(bytes, 4) == "000fa0ff");
  CHECK(kb::hex_lower(bytes, 0).empty());
}
