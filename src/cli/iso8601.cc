#include "src/cli/iso8601.h"

#include <fmt/format.h>

#include <chrono>
#include <string>

namespace hookfence::cli {
namespace {

constexpr char kExpectedForm[] = "YYYY-MM-DDTHH:MM:SS[.ffffff]Z (UTC)";

Status Malformed(std::string_view text) {
  return InvalidArgumentError(fmt::format("bad time '{}': expected {}", text, kExpectedForm));
}

// Reads exactly `width` decimal digits at `pos`; false if any is missing.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t width, int* value) {
  if (pos + width > text.size()) return false;
  int result = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    result = result * 10 + (text[i] - '0');
  }
  *value = result;
  return true;
}

}  // namespace

std::string FormatIso8601(Timestamp t) {
  using std::chrono::floor;
  const auto day = floor<std::chrono::days>(t);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss time(t - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

Result<Timestamp> ParseIso8601(std::string_view text) {
  // Fixed positions: YYYY-MM-DDTHH:MM:SS is 19 characters.
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !ReadDigits(text, 0, 4, &year) || text[4] != '-' ||
      !ReadDigits(text, 5, 2, &month) || text[7] != '-' || !ReadDigits(text, 8, 2, &day) ||
      text[10] != 'T' || !ReadDigits(text, 11, 2, &hour) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, &minute) || text[16] != ':' || !ReadDigits(text, 17, 2, &second)) {
    return Malformed(text);
  }
  std::size_t pos = 19;
  long long micros = 0;
  if (text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 6) {
        return InvalidArgumentError(
            fmt::format("bad time '{}': at most 6 fractional digits (microseconds)", text));
      }
      micros = micros * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) return Malformed(text);
    for (; digits < 6; ++digits) micros *= 10;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return Malformed(text);

  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  // Leap seconds (:60) are refused: the stores count POSIX time, which has none.
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
    return InvalidArgumentError(fmt::format("bad time '{}': no such date or time of day", text));
  }
  return Timestamp(std::chrono::sys_days(date).time_since_epoch() + std::chrono::hours(hour) +
                   std::chrono::minutes(minute) + std::chrono::seconds(second) + Duration(micros));
}

}  // namespace hookfence::cli
