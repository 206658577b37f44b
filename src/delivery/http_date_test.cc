#include "src/delivery/http_date.h"

#include <gtest/gtest.h>

#include <chrono>

namespace hookfence::delivery {
namespace {

using std::chrono::seconds;

Timestamp At(std::int64_t unix_seconds) { return Timestamp(seconds(unix_seconds)); }

// 2026-01-01T00:00:00Z, the simulated clock's start.
const Timestamp kNow = At(1767225600);

TEST(ParseHttpDateTest, ReadsTheThreeFormatsOfRfc9110) {
  // RFC 9110 §5.6.7's example, 1994-11-06T08:49:37Z, in each format.
  const Timestamp expected = At(784111777);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", kNow), expected);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", kNow), expected);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994", kNow), expected);
  EXPECT_EQ(ParseHttpDate("Wed Nov 16 08:49:37 1994", kNow), expected + std::chrono::days(10));
}

TEST(ParseHttpDateTest, ChecksTheCalendarAndClock) {
  EXPECT_EQ(ParseHttpDate("Thu, 29 Feb 2024 12:00:00 GMT", kNow), At(1709208000));
  EXPECT_EQ(ParseHttpDate("Wed, 31 Dec 2025 23:59:60 GMT", kNow), kNow);  // a leap second
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT", kNow), At(0));
  for (const char* bad : {"Wed, 29 Feb 2023 12:00:00 GMT", "Mon, 31 Apr 2026 12:00:00 GMT",
                          "Mon, 00 Jan 2026 12:00:00 GMT", "Mon, 01 Jan 2026 24:00:00 GMT",
                          "Mon, 01 Jan 2026 12:60:00 GMT", "Mon, 01 Jan 2026 12:00:61 GMT"}) {
    EXPECT_EQ(ParseHttpDate(bad, kNow), std::nullopt) << bad;
  }
}

TEST(ParseHttpDateTest, IsExactAboutTheForm) {
  for (const char* bad : {
           "",
           "Sun, 06 Nov 1994 08:49:37",         // no zone
           "Sun, 06 Nov 1994 08:49:37 UTC",     // only GMT
           "Sun, 06 Nov 1994 08:49:37 gmt",     // case-sensitive
           "sun, 06 Nov 1994 08:49:37 GMT",     // case-sensitive
           "Sun, 06 nov 1994 08:49:37 GMT",     // case-sensitive
           "Sun, 6 Nov 1994 08:49:37 GMT",      // two-digit day
           "Sun 06 Nov 1994 08:49:37 GMT",      // comma
           "Sun,  06 Nov 1994 08:49:37 GMT",    // one space
           "Sun, 06 Nov 94 08:49:37 GMT",       // four-digit year
           "Sun, 06 Nov 1994 8:49:37 GMT",      // two-digit hour
           "Sun, 06 Nov 1994 08:49:37 GMT ",    // trailing text (the caller trims whitespace)
           "Sun, 06 Nov 1994 08:49:37 GMTx",    // trailing text
           "Sunday, 06 Nov 1994 08:49:37 GMT",  // long day name is rfc850's
           "Sun, 06-Nov-94 08:49:37 GMT",       // rfc850 needs the long day name
           "Sunday, 06-Nov-1994 08:49:37 GMT",  // rfc850's year is two digits
           "Sun Nov 6 08:49:37 1994",           // asctime pads a one-digit day with a space
           "Sun Nov  6 08:49:37 94",            // asctime's year is four digits
           "Funday, 06-Nov-94 08:49:37 GMT",    //
           "Sun, 06 Now 1994 08:49:37 GMT",     //
           "1994-11-06T08:49:37Z",              //
       }) {
    EXPECT_EQ(ParseHttpDate(bad, kNow), std::nullopt) << '"' << bad << '"';
  }
}

TEST(ParseHttpDateTest, DoesNotCheckTheDayName) {
  // 1994-11-06 was a Sunday; a sender that names the wrong day still means the date.
  EXPECT_EQ(ParseHttpDate("Mon, 06 Nov 1994 08:49:37 GMT", kNow), At(784111777));
}

TEST(ParseHttpDateTest, ReadsTwoDigitYearsWithinFiftyYearsAhead) {
  auto year_of = [](std::optional<Timestamp> t) {
    return static_cast<int>(
        std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(*t)).year());
  };
  EXPECT_EQ(year_of(ParseHttpDate("Monday, 01-Jan-26 00:00:00 GMT", kNow)), 2026);
  EXPECT_EQ(year_of(ParseHttpDate("Monday, 01-Jan-76 00:00:00 GMT", kNow)), 2076);
  EXPECT_EQ(year_of(ParseHttpDate("Monday, 01-Jan-77 00:00:00 GMT", kNow)), 1977);
  EXPECT_EQ(year_of(ParseHttpDate("Monday, 01-Jan-00 00:00:00 GMT", kNow)), 2000);
  const Timestamp late_century = At(4070908800);  // 2099-01-01
  EXPECT_EQ(year_of(ParseHttpDate("Monday, 01-Jan-01 00:00:00 GMT", late_century)), 2101);
  EXPECT_EQ(year_of(ParseHttpDate("Monday, 01-Jan-50 00:00:00 GMT", late_century)), 2050);
}

}  // namespace
}  // namespace hookfence::delivery
