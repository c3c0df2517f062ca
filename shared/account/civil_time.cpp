#include "shared/account/account.hpp"

namespace kb::account {

namespace {

constexpr int64_t ms_per_day = 86'400'000;

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct civil_date {
  int64_t year;
  unsigned month;
  unsigned day;
};

civil_date civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool leap_year(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/// Reads exactly `n` digits at `pos`, advancing it.
std::optional<int> digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size())
    return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c)
    return false;
  ++pos;
  return true;
}

/// Milliseconds of a fraction after the '.', 1–9 digits (extra precision
/// is truncated).
std::optional<int64_t> fraction_ms(std::string_view s, size_t& pos) {
  size_t start = pos;
  int64_t ms = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (pos - start < 3)
      ms = ms * 10 + (s[pos] - '0');
    ++pos;
  }
  size_t n = pos - start;
  if (n == 0 || n > 9)
    return std::nullopt;
  for (size_t i = n; i < 3; ++i)
    ms *= 10;
  return ms;
}

/// "Z" or ±HH:MM → offset east of UTC in minutes.
std::optional<int> utc_offset_minutes(std::string_view s, size_t& pos) {
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
    return 0;
  }
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-'))
    return std::nullopt;
  int sign = s[pos++] == '-' ? -1 : 1;
  auto hh = digits(s, pos, 2);
  if (!hh || !expect(s, pos, ':'))
    return std::nullopt;
  auto mm = digits(s, pos, 2);
  if (!mm || *hh > 23 || *mm > 59)
    return std::nullopt;
  return sign * (*hh * 60 + *mm);
}

} // namespace

std::optional<int64_t> parse_iso8601_ms(std::string_view s) {
  size_t pos = 0;
  auto year = digits(s, pos, 4);
  if (!year || !expect(s, pos, '-'))
    return std::nullopt;
  auto month = digits(s, pos, 2);
  if (!month || !expect(s, pos, '-'))
    return std::nullopt;
  auto day = digits(s, pos, 2);
  if (!day || pos >= s.size() || (s[pos] != 'T' && s[pos] != 't'))
    return std::nullopt;
  ++pos;
  auto hour = digits(s, pos, 2);
  if (!hour || !expect(s, pos, ':'))
    return std::nullopt;
  auto minute = digits(s, pos, 2);
  if (!minute || !expect(s, pos, ':'))
    return std::nullopt;
  auto second = digits(s, pos, 2);
  if (!second)
    return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 ||
      static_cast<unsigned>(*day) > days_in_month(*year, static_cast<unsigned>(*month)) ||
      *hour > 23 || *minute > 59 || *second > 59)
    return std::nullopt;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    auto f = fraction_ms(s, pos);
    if (!f)
      return std::nullopt;
    ms = *f;
  }
  auto offset = utc_offset_minutes(s, pos);
  if (!offset || pos != s.size())
    return std::nullopt;
  int64_t days = days_from_civil(*year, static_cast<unsigned>(*month),
                                 static_cast<unsigned>(*day));
  int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + *second -
                    int64_t{*offset} * 60;
  return seconds * 1000 + ms;
}

int64_t next_month_reset_ms(int64_t now_ms) {
  int64_t days = now_ms >= 0 ? now_ms / ms_per_day : (now_ms - ms_per_day + 1) / ms_per_day;
  auto today = civil_from_days(days);
  int64_t year = today.year;
  unsigned month = today.month + 1;
  if (month == 13) {
    month = 1;
    year += 1;
  }
  return days_from_civil(year, month, 1) * ms_per_day;
}

} // namespace kb::account
