#include "src/delivery/backoff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <vector>

#include "testing/simulated_clock.h"

namespace hookfence::delivery {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(BackoffPolicyTest, DefaultCeilingsDoubleUpToTheCap) {
  const BackoffPolicy policy;
  const std::vector<Duration> expected = {minutes(5),  minutes(10),  minutes(20),  minutes(40),
                                          minutes(80), minutes(160), minutes(320), minutes(640),
                                          hours(16),   hours(16),    hours(16)};
  for (int attempt = 0; attempt < static_cast<int>(expected.size()); ++attempt) {
    EXPECT_EQ(MaxDelay(attempt, policy), expected[static_cast<std::size_t>(attempt)]) << attempt;
  }
}

TEST(BackoffPolicyTest, DefaultScheduleSpansAboutThreeDays) {
  const BackoffPolicy policy;
  // 11 retries: 5+10+20+40+80+160+320+640 min (21 h 15 min) and three capped 16 h gaps.
  const Duration span = MaxRetrySpan(kDefaultMaxAttempts, policy);
  EXPECT_EQ(span, hours(69) + minutes(15));
  EXPECT_GT(span, hours(60));
  EXPECT_LT(span, hours(84));
  EXPECT_EQ(MaxRetrySpan(1, policy), Duration::zero());
  EXPECT_EQ(MaxRetrySpan(0, policy), Duration::zero());
  EXPECT_EQ(MaxRetrySpan(2, policy), minutes(5));
}

TEST(BackoffPolicyTest, CeilingNeverOverflows) {
  BackoffPolicy policy;
  EXPECT_EQ(MaxDelay(-3, policy), policy.base);
  EXPECT_EQ(MaxDelay(63, policy), policy.cap);
  EXPECT_EQ(MaxDelay(std::numeric_limits<int>::max(), policy), policy.cap);
  policy.base = Duration(1);
  policy.cap = Duration::max();
  EXPECT_EQ(MaxDelay(61, policy), Duration(std::int64_t{1} << 61));
  EXPECT_EQ(MaxDelay(62, policy), Duration::max());
  EXPECT_EQ(MaxDelay(200, policy), Duration::max());
}

TEST(BackoffPolicyTest, Validates) {
  EXPECT_TRUE(ValidateBackoffPolicy(BackoffPolicy()).ok());
  BackoffPolicy zero_base;
  zero_base.base = Duration::zero();
  EXPECT_EQ(ValidateBackoffPolicy(zero_base).code(), StatusCode::kInvalidArgument);
  BackoffPolicy small_cap;
  small_cap.cap = minutes(1);
  EXPECT_EQ(ValidateBackoffPolicy(small_cap).code(), StatusCode::kInvalidArgument);
  BackoffPolicy negative_retry_after;
  negative_retry_after.max_retry_after = seconds(-1);
  EXPECT_EQ(ValidateBackoffPolicy(negative_retry_after).code(), StatusCode::kInvalidArgument);
  BackoffPolicy endless;
  endless.cap = Duration::max();
  EXPECT_EQ(ValidateBackoffPolicy(endless).code(), StatusCode::kInvalidArgument);
  endless.cap = hours(1);
  endless.max_retry_after = Duration::max();
  EXPECT_EQ(ValidateBackoffPolicy(endless).code(), StatusCode::kInvalidArgument);
}

TEST(NextAttemptAtTest, StaysWithinFullJitterBounds) {
  const BackoffPolicy policy;
  const testing::SimulatedClock clock;
  const Timestamp now = clock.Now();
  Rng rng(7);
  for (int attempt = 0; attempt < 20; ++attempt) {
    for (int i = 0; i < 200; ++i) {
      Timestamp next = NextAttemptAt(attempt, now, rng, policy);
      EXPECT_GE(next, now);
      EXPECT_LE(next, now + MaxDelay(attempt, policy));
    }
  }
}

TEST(NextAttemptAtTest, IsDeterministicForASeed) {
  const BackoffPolicy policy;
  const Timestamp now = testing::SimulatedClock().Now();
  Rng a(42);
  Rng b(42);
  Rng c(43);
  int differences = 0;
  for (int attempt = 0; attempt < 12; ++attempt) {
    Timestamp from_a = NextAttemptAt(attempt, now, a, policy);
    EXPECT_EQ(from_a, NextAttemptAt(attempt, now, b, policy));
    differences += from_a != NextAttemptAt(attempt, now, c, policy) ? 1 : 0;
  }
  EXPECT_GT(differences, 0);
}

TEST(NextAttemptAtTest, DrawIsPinnedAcrossPlatforms) {
  // mt19937_64's sequence is fixed by the standard, and the mapping onto [0, ceiling] is ours, so
  // this figure is the same with every standard library.
  Rng probe;
  ASSERT_EQ(probe(), 14514284786278117030ULL);
  Rng rng;
  const Timestamp now = testing::SimulatedClock().Now();
  // 14514284786278117030 mod (300,000,000 + 1) µs.
  EXPECT_EQ(NextAttemptAt(0, now, rng, BackoffPolicy()) - now, Duration(97167904));
}

TEST(NextAttemptAtTest, DelaysAreUniformOverTheCeiling) {
  const BackoffPolicy policy;
  const Timestamp now = testing::SimulatedClock().Now();
  Rng rng(1);
  constexpr int kDraws = 20000;
  const double ceiling = static_cast<double>(MaxDelay(3, policy).count());
  double sum = 0;
  int low_quarter = 0;
  for (int i = 0; i < kDraws; ++i) {
    double delay = static_cast<double>((NextAttemptAt(3, now, rng, policy) - now).count());
    sum += delay;
    low_quarter += delay < ceiling / 4 ? 1 : 0;
  }
  // Full jitter: mean ceiling / 2 and a quarter of the draws in the lowest quarter (the standard
  // errors are about 0.2% and 0.3% of the figures; the bounds are ten times that).
  EXPECT_NEAR(sum / kDraws, ceiling / 2, ceiling * 0.02);
  EXPECT_NEAR(low_quarter, kDraws / 4, kDraws * 0.03);
}

TEST(NextAttemptAtTest, HonoursRetryAfterWhenLater) {
  const BackoffPolicy policy;
  const Timestamp now = testing::SimulatedClock().Now();
  Rng rng(3);
  // Attempt 0 waits at most 5 min, so an hour's Retry-After always wins.
  EXPECT_EQ(NextAttemptAt(0, now, rng, policy, hours(1)), now + hours(1));
  // A Retry-After shorter than the draw loses to it.
  for (int i = 0; i < 100; ++i) {
    Timestamp next = NextAttemptAt(8, now, rng, policy, seconds(1));
    EXPECT_GE(next, now + seconds(1));
    EXPECT_LE(next, now + hours(16));
  }
  // Zero and negative Retry-After leave the draw alone.
  Rng a(9);
  Rng b(9);
  EXPECT_EQ(NextAttemptAt(4, now, a, policy, seconds(-30)), NextAttemptAt(4, now, b, policy));
  EXPECT_EQ(NextAttemptAt(4, now, a, policy, Duration::zero()), NextAttemptAt(4, now, b, policy));
}

TEST(NextAttemptAtTest, CapsRetryAfter) {
  BackoffPolicy policy;
  policy.max_retry_after = hours(2);
  const Timestamp now = testing::SimulatedClock().Now();
  Rng rng(5);
  EXPECT_EQ(NextAttemptAt(0, now, rng, policy, hours(24 * 30)), now + hours(2));
  policy.max_retry_after = Duration::zero();
  EXPECT_LE(NextAttemptAt(0, now, rng, policy, hours(1)), now + minutes(5));
}

TEST(ParseRetryAfterTest, ReadsDelaySeconds) {
  const Timestamp now = testing::SimulatedClock().Now();
  EXPECT_EQ(ParseRetryAfter("120", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter("0", now), Duration::zero());
  EXPECT_EQ(ParseRetryAfter("007", now), seconds(7));
  EXPECT_EQ(ParseRetryAfter(" \t120 ", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter("2147483647", now), seconds(2147483647));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999999", now), seconds(std::int64_t{1} << 31));
}

TEST(ParseRetryAfterTest, RejectsGarbageAndNegatives) {
  const Timestamp now = testing::SimulatedClock().Now();
  for (const char* bad :
       {"", "  ", "-5", "+5", "1.5", "1e3", "12 34", "120s", "soon", "0x10", "120,", "\xef\xbc\x91",
        "Wed, 21 Oct 2026 07:28:00 UTC", "wed, 21 Oct 2026 07:28:00 GMT", "2026-10-21T07:28:00Z"}) {
    EXPECT_EQ(ParseRetryAfter(bad, now), std::nullopt) << bad;
  }
}

TEST(ParseRetryAfterTest, ReadsHttpDatesRelativeToNow) {
  // The simulated clock starts at Thu, 01 Jan 2026 00:00:00 GMT.
  const Timestamp now = testing::SimulatedClock().Now();
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 01:00:00 GMT", now), hours(1));
  EXPECT_EQ(ParseRetryAfter("Thursday, 01-Jan-26 00:00:30 GMT", now), seconds(30));
  EXPECT_EQ(ParseRetryAfter("Thu Jan  1 00:02:00 2026", now), minutes(2));
  EXPECT_EQ(ParseRetryAfter(" Thu, 01 Jan 2026 01:00:00 GMT ", now), hours(1));
  // A date already past means "now", not an error.
  EXPECT_EQ(ParseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), Duration::zero());
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 00:00:00 GMT", now + std::chrono::milliseconds(1)),
            Duration::zero());
}

}  // namespace
}  // namespace hookfence::delivery
