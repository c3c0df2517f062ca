// The BASP frame guard in front of the supervisor's inter-daemon port.

#include <doctest/doctest.h>

#include <string>

#include "services/common/basp_guard.hpp"

using kb::cluster::basp_frame_guard;
using kb::cluster::basp_limits;

namespace {

std::string header(uint8_t operation, uint32_t payload_len) {
  std::string h(32, '\0');
  h[0] = static_cast<char>(operation);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<char>((payload_len >> (24 - 8 * i)) & 0xff);
  return h;
}

bool feed(basp_frame_guard& g, const std::string& bytes) {
  return g.feed(bytes.data(), bytes.size());
}

} // namespace

TEST_CASE("a handshake announcing more than the pre-handshake bound is refused in its header") {
  basp_frame_guard g{basp_limits{}};
  CHECK_FALSE(feed(g, header(0x01, 0xffffffffu)));
  CHECK(g.why().find("4294967295") != std::string::npos);
  CHECK_FALSE(feed(g, std::string(10, 'x'))); // stays refused
}

TEST_CASE("a real handshake, then messages up to the bound, pass in any split") {
  basp_limits limits;
  limits.before_handshake = 100;
  limits.after_handshake = 1000;
  std::string stream = header(0x01, 100) + std::string(100, 'h') + header(0x06, 0) +
                       header(0x02, 1000) + std::string(1000, 'm');
  for (size_t step : {size_t{1}, size_t{7}, size_t{32}, size_t{4096}}) {
    basp_frame_guard g{limits};
    bool ok = true;
    for (size_t at = 0; at < stream.size(); at += step)
      ok = ok && g.feed(stream.data() + at, std::min(step, stream.size() - at));
    CHECK(ok);
    CHECK(g.handshake_seen());
  }
  basp_frame_guard g{limits};
  CHECK(feed(g, header(0x01, 100) + std::string(100, 'h')));
  CHECK_FALSE(feed(g, header(0x02, 1001)));
}

TEST_CASE("frames CAF would mishandle or that no client sends are refused") {
  for (auto bad : {header(0x02, 10), header(0x00, 10), header(0x07, 0), header(0x01, 0),
                   std::string(32, '\xff')}) {
    basp_frame_guard g{basp_limits{}};
    CHECK_FALSE(feed(g, bad));
    CHECK_FALSE(g.why().empty());
  }
  basp_frame_guard g{basp_limits{}};
  CHECK(feed(g, header(0x01, 8) + std::string(8, 'n')));
  CHECK_FALSE(feed(g, header(0x01, 0))); // a later empty handshake too
}
