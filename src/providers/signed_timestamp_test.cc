#include "src/providers/signed_timestamp.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace hookfence::providers {
namespace {

using std::chrono::seconds;

Timestamp At(std::int64_t unix_seconds) { return Timestamp(seconds(unix_seconds)); }

TEST(ParseUnixSecondsTest, AcceptsDigitsOnly) {
  EXPECT_EQ(ParseUnixSeconds("1735689600"), 1735689600);
  EXPECT_EQ(ParseUnixSeconds("0001735689600"), 1735689600);
  EXPECT_EQ(ParseUnixSeconds("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(ParseUnixSeconds(""));
  EXPECT_FALSE(ParseUnixSeconds("-1"));
  EXPECT_FALSE(ParseUnixSeconds("+1"));
  EXPECT_FALSE(ParseUnixSeconds("1.5"));
  EXPECT_FALSE(ParseUnixSeconds(" 1"));
  EXPECT_FALSE(ParseUnixSeconds("1e9"));
  EXPECT_FALSE(ParseUnixSeconds("not-a-number"));
  EXPECT_FALSE(ParseUnixSeconds("9223372036854775808"));
  EXPECT_FALSE(ParseUnixSeconds("99999999999999999999999"));
}

TEST(WithinToleranceTest, IsSymmetricAndInclusive) {
  const Timestamp now = At(1735689600);
  EXPECT_TRUE(WithinTolerance(now, 1735689600, seconds(300)));
  EXPECT_TRUE(WithinTolerance(now, 1735689300, seconds(300)));
  EXPECT_TRUE(WithinTolerance(now, 1735689900, seconds(300)));
  EXPECT_FALSE(WithinTolerance(now, 1735689299, seconds(300)));
  EXPECT_FALSE(WithinTolerance(now, 1735689901, seconds(300)));
  EXPECT_FALSE(WithinTolerance(now, 0, seconds(300)));
  EXPECT_FALSE(WithinTolerance(now, std::numeric_limits<std::int64_t>::max(), seconds(300)));
}

TEST(WithinToleranceTest, ComparesWholeSeconds) {
  // Providers sign whole seconds; a fraction of a second on our clock does not push an edge
  // timestamp out of the window.
  const Timestamp now = At(1735689600) + std::chrono::milliseconds(999);
  EXPECT_TRUE(WithinTolerance(now, 1735689300, seconds(300)));
  EXPECT_EQ(UnixSeconds(now), 1735689600);
  EXPECT_EQ(UnixSeconds(At(-1) + std::chrono::milliseconds(500)), -1);
}

TEST(DescribeSkewTest, SaysWhichWay) {
  const Timestamp now = At(1000);
  EXPECT_EQ(DescribeSkew(now, 400, seconds(300)), "timestamp is 600 s old; the tolerance is 300 s");
  EXPECT_EQ(DescribeSkew(now, 1600, seconds(300)),
            "timestamp is 600 s in the future; the tolerance is 300 s");
}

}  // namespace
}  // namespace hookfence::providers
