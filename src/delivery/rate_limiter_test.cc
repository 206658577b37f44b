#include "src/delivery/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <limits>
#include <thread>
#include <vector>

#include "testing/simulated_clock.h"

namespace hookfence::delivery {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

RateLimiterOptions Rate(double per_second, int burst = 0) {
  RateLimiterOptions options;
  options.max_per_second = per_second;
  options.burst = burst;
  return options;
}

TEST(RateLimiterTest, ZeroMeansUnlimited) {
  testing::SimulatedClock clock;
  RateLimiter limiter(&clock, Rate(0));
  EXPECT_TRUE(limiter.unlimited());
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(limiter.TryAcquire());
  }
  EXPECT_EQ(limiter.WaitFor(), Duration::zero());
}

TEST(RateLimiterTest, BurstsOneSecondsWorthThenPaces) {
  testing::SimulatedClock clock;
  RateLimiter limiter(&clock, Rate(10));
  EXPECT_FALSE(limiter.unlimited());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(limiter.WaitFor(), Duration::zero());
    ASSERT_TRUE(limiter.TryAcquire()) << i;
  }
  EXPECT_FALSE(limiter.TryAcquire());
  EXPECT_EQ(limiter.WaitFor(), milliseconds(100));
  clock.Advance(milliseconds(100) - Duration(1));
  EXPECT_FALSE(limiter.TryAcquire());
  EXPECT_EQ(limiter.WaitFor(), Duration(1));
  clock.Advance(Duration(1));
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(RateLimiterTest, WaitForTakesNothing) {
  testing::SimulatedClock clock;
  RateLimiter limiter(&clock, Rate(2, 1));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limiter.WaitFor(), Duration::zero());
  }
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_EQ(limiter.WaitFor(), milliseconds(500));
  EXPECT_EQ(limiter.WaitFor(), milliseconds(500));
}

TEST(RateLimiterTest, WaitingExactlyWaitForAlwaysSucceeds) {
  // Rates whose interval is not a whole number of microseconds round the interval up.
  for (double rate : {3.0, 7.0, 0.5, 1000.0, 0.001}) {
    testing::SimulatedClock clock;
    RateLimiter limiter(&clock, Rate(rate, 1));
    ASSERT_TRUE(limiter.TryAcquire());
    for (int i = 0; i < 50; ++i) {
      Duration wait = limiter.WaitFor();
      ASSERT_GT(wait, Duration::zero());
      clock.Advance(wait);
      ASSERT_TRUE(limiter.TryAcquire()) << rate;
    }
  }
  testing::SimulatedClock clock;
  RateLimiter three(&clock, Rate(3, 1));
  ASSERT_TRUE(three.TryAcquire());
  EXPECT_EQ(three.WaitFor(), Duration(333334));
  RateLimiter half(&clock, Rate(0.5));
  ASSERT_TRUE(half.TryAcquire());
  EXPECT_EQ(half.WaitFor(), seconds(2));
}

TEST(RateLimiterTest, NeverExceedsTheRateOverTime) {
  testing::SimulatedClock clock;
  RateLimiter limiter(&clock, Rate(50, 5));
  int admitted = 0;
  for (int step = 0; step < 10000; ++step) {  // 10 s in 1 ms steps, trying 3 times a step
    for (int i = 0; i < 3; ++i) {
      admitted += limiter.TryAcquire() ? 1 : 0;
    }
    clock.Advance(milliseconds(1));
  }
  // The burst plus 50 per second, and no fewer than the rate.
  EXPECT_LE(admitted, 5 + 50 * 10);
  EXPECT_GE(admitted, 50 * 10);
}

TEST(RateLimiterTest, IdleTimeFillsOnlyTheBurst) {
  testing::SimulatedClock clock;
  RateLimiter limiter(&clock, Rate(100, 3));
  clock.Advance(hours(1));
  int admitted = 0;
  while (limiter.TryAcquire()) {
    ++admitted;
  }
  EXPECT_EQ(admitted, 3);
}

TEST(RateLimiterTest, AClockStepBackwardsDoesNotStall) {
  testing::SimulatedClock clock;
  RateLimiter limiter(&clock, Rate(1, 1));
  ASSERT_TRUE(limiter.TryAcquire());
  clock.Advance(-hours(1));
  EXPECT_LE(limiter.WaitFor(), seconds(1));
  clock.Advance(limiter.WaitFor());
  EXPECT_TRUE(limiter.TryAcquire());
}

TEST(RateLimiterTest, Validates) {
  EXPECT_TRUE(ValidateRateLimiterOptions(Rate(0)).ok());
  EXPECT_TRUE(ValidateRateLimiterOptions(Rate(0.5, 10)).ok());
  EXPECT_TRUE(ValidateRateLimiterOptions(Rate(1e6)).ok());
  EXPECT_EQ(ValidateRateLimiterOptions(Rate(-1)).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ValidateRateLimiterOptions(Rate(1e-6)).ok());
  EXPECT_FALSE(ValidateRateLimiterOptions(Rate(2e6)).ok());
  EXPECT_FALSE(ValidateRateLimiterOptions(Rate(std::numeric_limits<double>::quiet_NaN())).ok());
  EXPECT_FALSE(ValidateRateLimiterOptions(Rate(std::numeric_limits<double>::infinity())).ok());
  EXPECT_FALSE(ValidateRateLimiterOptions(Rate(10, -1)).ok());
  EXPECT_FALSE(ValidateRateLimiterOptions(Rate(10, 2000000)).ok());
}

// Threads racing for one frozen instant's tokens: exactly the burst is handed out.
TEST(RateLimiterRaceTest, HandsOutExactlyTheBurstAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 50;
  testing::SimulatedClock clock;
  RateLimiter limiter(&clock, Rate(5, 5));
  std::atomic<int> admitted{0};
  std::barrier sync(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();
        for (int i = 0; i < 3; ++i) {
          if (limiter.TryAcquire()) {
            admitted.fetch_add(1);
          }
          (void)limiter.WaitFor();
        }
        sync.arrive_and_wait();
      }
    });
  }
  for (int round = 0; round < kRounds; ++round) {
    admitted.store(0);
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    ASSERT_EQ(admitted.load(), 5) << "round " << round;
    clock.Advance(seconds(1));  // refill the bucket exactly
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

}  // namespace
}  // namespace hookfence::delivery
