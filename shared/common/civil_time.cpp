#include "shared/common/civil_time.hpp"

#include <cstdio>

namespace kb {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

civil_date civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/// Reads exactly `n` digits at `pos`, advancing it.
std::optional<unsigned> digits(std::string_view s, std::size_t& pos,
                               std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  unsigned value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

/// Offset east of UTC in minutes, from `Z`, `±HH:MM` or `±HHMM` at the end.
std::optional<int> zone_offset_minutes(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z')
    return pos + 1 == s.size() ? std::optional<int>(0) : std::nullopt;
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  const int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  auto hh = digits(s, pos, 2);
  if (!hh) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') ++pos;
  auto mm = digits(s, pos, 2);
  if (!mm || pos != s.size() || *hh > 23 || *mm > 59) return std::nullopt;
  return sign * static_cast<int>(*hh * 60 + *mm);
}

} // namespace

std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
  std::size_t pos = 0;
  auto year = digits(s, pos, 4);
  if (!year || !expect(s, pos, '-')) return std::nullopt;
  auto month = digits(s, pos, 2);
  if (!month || !expect(s, pos, '-')) return std::nullopt;
  auto day = digits(s, pos, 2);
  if (!day) return std::nullopt;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return std::nullopt;
  ++pos;
  auto hour = digits(s, pos, 2);
  if (!hour || !expect(s, pos, ':')) return std::nullopt;
  auto minute = digits(s, pos, 2);
  if (!minute || !expect(s, pos, ':')) return std::nullopt;
  auto second = digits(s, pos, 2);
  if (!second) return std::nullopt;

  unsigned millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t count = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (count < 3) millis = millis * 10 + static_cast<unsigned>(s[pos] - '0');
      ++count;
      ++pos;
    }
    if (count == 0 || count > 9) return std::nullopt;
    for (std::size_t i = count; i < 3; ++i) millis *= 10;
  }
  auto offset = zone_offset_minutes(s, pos);
  if (!offset) return std::nullopt;

  if (*month < 1 || *month > 12 || *day < 1 ||
      *day > days_in_month(*year, *month) || *hour > 23 || *minute > 59 ||
      *second > 59)
    return std::nullopt;

  const std::int64_t days = days_from_civil(*year, *month, *day);
  const std::int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 +
                               *second - static_cast<std::int64_t>(*offset) * 60;
  return seconds * 1000 + millis;
}

std::string format_iso8601_ms(std::int64_t epoch_ms) {
  std::int64_t days = epoch_ms / 86400000;
  std::int64_t rem = epoch_ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  const civil_date date = civil_from_days(days);
  const auto ms_of_day = static_cast<long long>(rem);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(date.year), date.month, date.day,
                ms_of_day / 3600000, ms_of_day / 60000 % 60,
                ms_of_day / 1000 % 60, ms_of_day % 1000);
  return buffer;
}

std::int64_t next_month_start_ms(std::int64_t epoch_ms) {
  constexpr std::int64_t ms_per_day = 86'400'000;
  std::int64_t days = epoch_ms >= 0 ? epoch_ms / ms_per_day
                                    : (epoch_ms - ms_per_day + 1) / ms_per_day;
  auto today = civil_from_days(days);
  auto year = today.year;
  unsigned month = today.month + 1;
  if (month == 13) {
    month = 1;
    year += 1;
  }
  return days_from_civil(year, month, 1) * ms_per_day;
}

} // namespace kb
