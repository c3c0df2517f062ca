#include <doctest/doctest.h>

#include "shared/config/iso8601.hpp"

using namespace kb::config;

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
