#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

#include "src/server/config.h"

namespace hookfence::server {
namespace {

using namespace std::chrono_literals;

Duration DurationOf(std::string_view text) {
  Result<Duration> parsed = ParseDuration(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ValueOr(Duration(-1));
}

TEST(ParseDurationTest, SingleUnits) {
  EXPECT_EQ(DurationOf("250ms"), 250ms);
  EXPECT_EQ(DurationOf("30s"), 30s);
  EXPECT_EQ(DurationOf("5m"), 5min);
  EXPECT_EQ(DurationOf("2h"), 2h);
  EXPECT_EQ(DurationOf("7d"), 24h * 7);
  EXPECT_EQ(DurationOf("15us"), 15us);
  EXPECT_EQ(DurationOf("0s"), 0s);
}

TEST(ParseDurationTest, Combinations) {
  EXPECT_EQ(DurationOf("1h30m"), 90min);
  EXPECT_EQ(DurationOf("1d12h"), 36h);
  EXPECT_EQ(DurationOf("1m30s500ms"), 90500ms);
}

TEST(ParseDurationTest, RejectsGarbage) {
  for (std::string_view text :
       {"", "s", "30", "30x", "1.5h", "-5s", " 5s", "5s ", "5 s", "5S", "1h30", "h1", "5sec"}) {
    Result<Duration> parsed = ParseDuration(text);
    ASSERT_FALSE(parsed.ok()) << '"' << text << '"';
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ParseDurationTest, UnitsMustDescendAndNotRepeat) {
  EXPECT_FALSE(ParseDuration("30m1h").ok());
  EXPECT_FALSE(ParseDuration("5m5m").ok());
  EXPECT_FALSE(ParseDuration("1s1ms1s").ok());
}

TEST(ParseDurationTest, MessagesNameTheProblem) {
  EXPECT_EQ(ParseDuration("30").status().message(),
            "invalid duration \"30\": the number has no unit; expected a number followed by a "
            "unit (d, h, m, s, ms, us), e.g. \"30s\", \"5m\" or \"1h30m\"");
  EXPECT_NE(ParseDuration("3x").status().message().find("unknown unit \"x\""), std::string::npos);
}

TEST(ParseDurationTest, Overflow) {
  // Nothing longer than 100 years (kMaxDuration): timestamps plus durations must not overflow.
  EXPECT_EQ(DurationOf("36500d"), 24h * 36500);
  Result<Duration> century_and_a_day = ParseDuration("36501d");
  ASSERT_FALSE(century_and_a_day.ok());
  EXPECT_NE(century_and_a_day.status().message().find("longer than 100 years"), std::string::npos);
  // Past what 64 bits of microseconds hold (about 106 751 991 days) the sum itself is refused.
  Result<Duration> too_long = ParseDuration("106751992d");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("too long"), std::string::npos);
  EXPECT_FALSE(ParseDuration("9223372036854775807us").ok());
  EXPECT_FALSE(ParseDuration("9223372036854775808us").ok());
  Result<Duration> huge = ParseDuration("99999999999999999999999s");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("too large"), std::string::npos);
}

std::uint64_t SizeOf(std::string_view text) {
  Result<std::uint64_t> parsed = ParseSize(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ValueOr(0);
}

TEST(ParseSizeTest, PlainAndUnits) {
  EXPECT_EQ(SizeOf("0"), 0u);
  EXPECT_EQ(SizeOf("512"), 512u);
  EXPECT_EQ(SizeOf("512B"), 512u);
  EXPECT_EQ(SizeOf("64KiB"), 65536u);
  EXPECT_EQ(SizeOf("1MiB"), 1048576u);
  EXPECT_EQ(SizeOf("2GiB"), 2147483648u);
  EXPECT_EQ(SizeOf("1TiB"), 1099511627776u);
  EXPECT_EQ(SizeOf("64KB"), 64000u);
  EXPECT_EQ(SizeOf("1MB"), 1000000u);
  EXPECT_EQ(SizeOf("2GB"), 2000000000u);
  EXPECT_EQ(SizeOf("3TB"), 3000000000000u);
}

TEST(ParseSizeTest, RejectsGarbage) {
  for (std::string_view text :
       {"", "MiB", "1 MiB", "1mib", "1.5MiB", "-1", "1KIB", "1Mi", " 1", "1MiB ", "0x10", "1kb"}) {
    Result<std::uint64_t> parsed = ParseSize(text);
    ASSERT_FALSE(parsed.ok()) << '"' << text << '"';
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ParseSizeTest, Overflow) {
  EXPECT_EQ(SizeOf("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(ParseSize("18446744073709551616").ok());
  EXPECT_EQ(SizeOf("16777215TiB"), std::uint64_t{16777215} << 40);
  Result<std::uint64_t> too_large = ParseSize("16777216TiB");
  ASSERT_FALSE(too_large.ok());
  EXPECT_NE(too_large.status().message().find("too large"), std::string::npos);
}

}  // namespace
}  // namespace hookfence::server
