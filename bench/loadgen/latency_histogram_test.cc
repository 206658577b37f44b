#include "bench/loadgen/latency_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace hookfence::bench {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.ValueAt(0.99), 0);
}

TEST(LatencyHistogramTest, QuantilesOfAUniformRangeAreWithinTwoPercent) {
  LatencyHistogram histogram;
  // 1 µs .. 100 ms in steps of 1 µs.
  for (std::int64_t us = 1; us <= 100'000; ++us) histogram.Record(us * 1000);
  EXPECT_EQ(histogram.count(), 100'000u);
  EXPECT_NEAR(histogram.ValueAt(0.5), 50'000'000, 50'000'000 * 0.02);
  EXPECT_NEAR(histogram.ValueAt(0.99), 99'000'000, 99'000'000 * 0.02);
  EXPECT_NEAR(histogram.ValueAt(0.999), 99'900'000, 99'900'000 * 0.02);
  EXPECT_EQ(histogram.ValueAt(1.0), 100'000'000);
}

TEST(LatencyHistogramTest, SmallValuesAreExactAndTailsAreSeen) {
  LatencyHistogram histogram;
  for (int i = 0; i < 998; ++i) histogram.Record(100);
  histogram.Record(5'000'000'000);  // one 5 s outlier
  histogram.Record(5'000'000'000);
  EXPECT_EQ(histogram.ValueAt(0.5), 100);
  EXPECT_EQ(histogram.ValueAt(0.99), 100);
  EXPECT_NEAR(histogram.ValueAt(0.999), 5'000'000'000, 5'000'000'000 * 0.02);
  EXPECT_EQ(histogram.max(), 5'000'000'000);
}

TEST(LatencyHistogramTest, HugeValuesLandInTheLastBucketWithoutOverflow) {
  LatencyHistogram histogram;
  histogram.Record(INT64_MAX);
  histogram.Record(-5);  // a clock step backwards counts as 0
  EXPECT_EQ(histogram.count(), 2u);
  EXPECT_EQ(histogram.ValueAt(0.5), 0);
  EXPECT_GT(histogram.ValueAt(1.0), 1'000'000'000'000);
}

}  // namespace
}  // namespace hookfence::bench
