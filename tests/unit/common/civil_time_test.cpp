#include <doctest/doctest.h>

#include "shared/common/civil_time.hpp"

using namespace kb;

TEST_CASE("an ISO time with Z and milliseconds parses to epoch milliseconds") {
  CHECK(parse_iso8601_ms("2025-01-01T00:00:00.000Z") == 1735689600000);
  CHECK(parse_iso8601_ms("2025-01-01T00:00:00.123Z") == 1735689600123);
  CHECK(parse_iso8601_ms("1970-01-01T00:00:00Z") == 0);
}

TEST_CASE("zero to nine fraction digits parse and truncate to milliseconds") {
  CHECK(parse_iso8601_ms("2025-01-01T00:00:00Z") == 1735689600000);
  CHECK(parse_iso8601_ms("2025-01-01T00:00:00.1Z") == 1735689600100);
  CHECK(parse_iso8601_ms("2025-01-01T00:00:00.12Z") == 1735689600120);
  CHECK(parse_iso8601_ms("2025-01-01T00:00:00.1234567+00:00") == 1735689600123);
  CHECK(parse_iso8601_ms("2025-01-01T00:00:00.123456789+00:00") ==
        1735689600123);
}

TEST_CASE("an offset east of UTC is subtracted and one west is added") {
  CHECK(parse_iso8601_ms("2025-01-01T02:00:00+02:00") == 1735689600000);
  CHECK(parse_iso8601_ms("2024-12-31T22:30:00-0130") == 1735689600000);
}

TEST_CASE("a leap day parses only in a leap year") {
  CHECK(parse_iso8601_ms("2024-02-29T00:00:00Z") == 1709164800000);
  CHECK_FALSE(parse_iso8601_ms("2025-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_iso8601_ms("1900-02-29T00:00:00Z").has_value());
  CHECK(parse_iso8601_ms("2000-02-29T00:00:00Z").has_value());
}

TEST_CASE("malformed and impossible times are rejected") {
  for (const char* bad : {
         "",
         "2025-01-01",
         "2025-01-01T00:00:00",          // no zone
         "2025-01-01 00:00:00Z",         // space instead of T
         "2025-13-01T00:00:00Z",
         "2025-00-10T00:00:00Z",
         "2025-04-31T00:00:00Z",
         "2025-01-01T24:00:00Z",
         "2025-01-01T00:60:00Z",
         "2025-01-01T00:00:60Z",
         "2025-01-01T00:00:00.Z",
         "2025-01-01T00:00:00.1234567890Z",
         "2025-01-01T00:00:00Zx",
         "2025-01-01T00:00:00+24:00",
         "2025-01-01T00:00:00+02",
         "25-01-01T00:00:00Z",
         "2025-1-01T00:00:00Z",
         "１９７０-01-01T00:00:00Z",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(parse_iso8601_ms(bad).has_value());
  }
}

TEST_CASE("formatting writes UTC with three fraction digits and Z") {
  CHECK(format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601_ms(1735689600123) == "2025-01-01T00:00:00.123Z");
  CHECK(format_iso8601_ms(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_iso8601_ms(1709164800000 + 86399999) ==
        "2024-02-29T23:59:59.999Z");
}

TEST_CASE("formatting then parsing gives back the same millisecond") {
  for (std::int64_t ms = -5000000000000; ms < 5000000000000;
       ms += 123456789013) {
    CAPTURE(ms);
    CHECK(parse_iso8601_ms(format_iso8601_ms(ms)) == ms);
  }
}

namespace {
constexpr std::int64_t jan_1_2026_ms = 1'767'225'600'000;
}

TEST_CASE("quotas reset on the first of next month at midnight UTC") {
  CHECK(next_month_start_ms(jan_1_2026_ms) == 1'769'904'000'000);              // → 2026-02-01
  CHECK(next_month_start_ms(jan_1_2026_ms + 15 * 86'400'000LL) == 1'769'904'000'000);
  CHECK(next_month_start_ms(1'769'904'000'000 - 1) == 1'769'904'000'000);       // last ms of January
}

TEST_CASE("the monthly reset after December is January of the next year") {
  CHECK(next_month_start_ms(1'797'292'800'000) == 1'798'761'600'000); // 2026-12-15 → 2027-01-01
  CHECK(next_month_start_ms(1'767'139'200'000) == jan_1_2026_ms);      // 2025-12-31 → 2026-01-01
}

TEST_CASE("the monthly reset after a leap February is March 1st") {
  CHECK(next_month_start_ms(1'709'164'800'000) == 1'709'251'200'000); // 2024-02-29 → 2024-03-01
}

TEST_CASE("ISO-8601 times as Kiro token files write them") {
  CHECK(parse_iso8601_ms("2026-01-01T00:00:00+00:00") == jan_1_2026_ms);
  CHECK(parse_iso8601_ms("2026-01-01T00:00:00.5Z") == jan_1_2026_ms + 500);
  CHECK(parse_iso8601_ms("2026-01-01T01:00:00.123456789+00:00") == jan_1_2026_ms + 3'600'123);
  CHECK(parse_iso8601_ms("2025-12-31T19:00:00-05:00") == jan_1_2026_ms);
  for (auto bad : {"", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
                   "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-01-32T00:00:00Z",
                   "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:00.Z",
                   "2026-01-01T00:00:00.1234567890Z", "2026-01-01T00:00:00Zjunk",
                   "2026-01-01T00:00:00+24:00", "26-01-01T00:00:00Z",
                   "2026-1-01T00:00:00Z", "abcd-01-01T00:00:00Z"})
    CHECK_MESSAGE(!parse_iso8601_ms(bad).has_value(), bad);
}
