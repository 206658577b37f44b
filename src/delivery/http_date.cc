#include "src/delivery/http_date.h"

#include <array>
#include <chrono>
#include <span>

namespace hookfence::delivery {
namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Reads a date left to right. Each method consumes input only when it matches, so a format can be
// written as one chain of &&.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : rest_(text) {}

  bool Literal(std::string_view expected) {
    if (!rest_.starts_with(expected)) {
      return false;
    }
    rest_.remove_prefix(expected.size());
    return true;
  }

  // Exactly `count` ASCII digits.
  bool Digits(int count, int* out) {
    if (rest_.size() < static_cast<std::size_t>(count)) {
      return false;
    }
    int value = 0;
    for (int i = 0; i < count; ++i) {
      char c = rest_[static_cast<std::size_t>(i)];
      if (c < '0' || c > '9') {
        return false;
      }
      value = value * 10 + (c - '0');
    }
    rest_.remove_prefix(static_cast<std::size_t>(count));
    *out = value;
    return true;
  }

  // One of `names`; *index is its position.
  bool OneOf(std::span<const std::string_view> names, int* index) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (Literal(names[i])) {
        *index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  bool AtEnd() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

struct DateFields {
  int year = 0;
  int month = 0;  // 0-based, as OneOf reports it
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

bool TimeOfDay(Cursor& in, DateFields* f) {
  return in.Digits(2, &f->hour) && in.Literal(":") && in.Digits(2, &f->minute) && in.Literal(":") &&
         in.Digits(2, &f->second);
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool ImfFixdate(std::string_view text, DateFields* f) {
  Cursor in(text);
  int weekday = 0;
  return in.OneOf(kDayNames, &weekday) && in.Literal(", ") && in.Digits(2, &f->day) &&
         in.Literal(" ") && in.OneOf(kMonthNames, &f->month) && in.Literal(" ") &&
         in.Digits(4, &f->year) && in.Literal(" ") && TimeOfDay(in, f) && in.Literal(" GMT") &&
         in.AtEnd();
}

// "Sunday, 06-Nov-94 08:49:37 GMT"; the year is two digits, resolved by the caller.
bool Rfc850Date(std::string_view text, DateFields* f) {
  Cursor in(text);
  int weekday = 0;
  return in.OneOf(kLongDayNames, &weekday) && in.Literal(", ") && in.Digits(2, &f->day) &&
         in.Literal("-") && in.OneOf(kMonthNames, &f->month) && in.Literal("-") &&
         in.Digits(2, &f->year) && in.Literal(" ") && TimeOfDay(in, f) && in.Literal(" GMT") &&
         in.AtEnd();
}

// "Sun Nov  6 08:49:37 1994" (a one-digit day is padded with a space) or "Sun Nov 16 …".
bool AsctimeDate(std::string_view text, DateFields* f) {
  Cursor in(text);
  int weekday = 0;
  bool head = in.OneOf(kDayNames, &weekday) && in.Literal(" ") &&
              in.OneOf(kMonthNames, &f->month) && in.Literal(" ");
  if (!head) {
    return false;
  }
  bool day = in.Literal(" ") ? in.Digits(1, &f->day) : in.Digits(2, &f->day);
  return day && in.Literal(" ") && TimeOfDay(in, f) && in.Literal(" ") && in.Digits(4, &f->year) &&
         in.AtEnd();
}

int YearOf(Timestamp t) {
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<int>(ymd.year());
}

// The year ending in `two_digits` within [now - 49, now + 50]: RFC 9110 reads anything more than
// 50 years ahead as the past.
int ResolveTwoDigitYear(int two_digits, int current_year) {
  int low = current_year - 49;
  int offset = ((two_digits - low) % 100 + 100) % 100;
  return low + offset;
}

std::optional<Timestamp> ToTimestamp(const DateFields& f) {
  if (f.hour > 23 || f.minute > 59 || f.second > 60) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(f.year),
                                  std::chrono::month(static_cast<unsigned>(f.month + 1)),
                                  std::chrono::day(static_cast<unsigned>(f.day))};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return Timestamp(std::chrono::sys_days(ymd)) + std::chrono::hours(f.hour) +
         std::chrono::minutes(f.minute) + std::chrono::seconds(f.second);
}

}  // namespace

std::optional<Timestamp> ParseHttpDate(std::string_view text, Timestamp now) {
  if (DateFields f; ImfFixdate(text, &f)) {
    return ToTimestamp(f);
  }
  if (DateFields f; AsctimeDate(text, &f)) {
    return ToTimestamp(f);
  }
  if (DateFields f; Rfc850Date(text, &f)) {
    f.year = ResolveTwoDigitYear(f.year, YearOf(now));
    return ToTimestamp(f);
  }
  return std::nullopt;
}

}  // namespace hookfence::delivery
