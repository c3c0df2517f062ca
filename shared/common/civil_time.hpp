#pragma once

// UTC calendar arithmetic and ISO-8601 / RFC 3339 times, as plain functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kb {

/// Milliseconds since the Unix epoch of an ISO-8601 / RFC 3339 time:
/// `YYYY-MM-DDTHH:MM:SS[.f]` + `Z` or `±HH:MM` (or `±HHMM`), with 1 to 9
/// fraction digits (truncated to milliseconds). Anything else, including
/// impossible dates, is `std::nullopt`.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), the form JavaScript's toISOString writes.
std::string format_iso8601_ms(std::int64_t epoch_ms);

/// The first day of the month after `epoch_ms`, 00:00 UTC, in epoch ms: when
/// Kiro's monthly quotas reset.
std::int64_t next_month_start_ms(std::int64_t epoch_ms);

} // namespace kb
