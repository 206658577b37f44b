#include "src/delivery/circuit_breaker.h"

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

using std::chrono::minutes;
using std::chrono::seconds;

CircuitBreakerOptions Options(int threshold = 3, Duration cool_down = seconds(30),
                              double growth = 2.0, Duration max_cool_down = minutes(2)) {
  CircuitBreakerOptions options;
  options.failure_threshold = threshold;
  options.cool_down = cool_down;
  options.cool_down_growth = growth;
  options.max_cool_down = max_cool_down;
  return options;
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  // Fails `n` admitted deliveries in a row.
  void FailInARow(int n) {
    for (int i = 0; i < n; ++i) {
      CircuitBreaker::Admission admission = breaker_.Allow();
      ASSERT_TRUE(admission);
      breaker_.RecordFailure(admission);
    }
  }

  testing::SimulatedClock clock_;
  CircuitBreaker breaker_{&clock_, Options()};
};

TEST_F(CircuitBreakerTest, StartsClosedAndAllowsEverything) {
  for (int i = 0; i < 10; ++i) {
    CircuitBreaker::Admission admission = breaker_.Allow();
    EXPECT_TRUE(admission);
    EXPECT_FALSE(admission.probe());
  }
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailures) {
  FailInARow(2);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_EQ(breaker_.GetSnapshot().consecutive_failures, 2);
  FailInARow(1);
  CircuitBreaker::Snapshot snapshot = breaker_.GetSnapshot();
  EXPECT_EQ(snapshot.state, BreakerState::kOpen);
  EXPECT_EQ(snapshot.open_until, clock_.Now() + seconds(30));
  EXPECT_EQ(snapshot.times_opened, 1u);
  EXPECT_FALSE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, ASuccessResetsTheCount) {
  FailInARow(2);
  breaker_.RecordSuccess(breaker_.Allow());
  FailInARow(2);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  FailInARow(1);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, WaitsOutTheCoolDownThenProbesOnce) {
  FailInARow(3);
  clock_.Advance(seconds(30) - Duration(1));
  EXPECT_FALSE(breaker_.Allow());
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  clock_.Advance(Duration(1));
  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);  // due for a probe
  CircuitBreaker::Admission probe = breaker_.Allow();
  ASSERT_TRUE(probe);
  EXPECT_TRUE(probe.probe());
  EXPECT_TRUE(breaker_.GetSnapshot().probe_in_flight);
  EXPECT_FALSE(breaker_.Allow());
  EXPECT_FALSE(breaker_.Allow());
  breaker_.RecordSuccess(probe);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker_.Allow());
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, AFailedProbeReopensWithAGrowingCappedCoolDown) {
  FailInARow(3);
  for (Duration expected : {seconds(60), seconds(120), seconds(120)}) {
    clock_.Advance(breaker_.GetSnapshot().open_until - clock_.Now());
    CircuitBreaker::Admission probe = breaker_.Allow();
    ASSERT_TRUE(probe.probe());
    breaker_.RecordFailure(probe);
    CircuitBreaker::Snapshot snapshot = breaker_.GetSnapshot();
    EXPECT_EQ(snapshot.state, BreakerState::kOpen);
    EXPECT_EQ(snapshot.open_until, clock_.Now() + expected);
    EXPECT_EQ(snapshot.cool_down, expected);
  }
  EXPECT_EQ(breaker_.GetSnapshot().times_opened, 4u);
  // Closing resets the cool-down: the next opening waits the initial 30 s again.
  clock_.Advance(minutes(2));
  breaker_.RecordSuccess(breaker_.Allow());
  FailInARow(3);
  EXPECT_EQ(breaker_.GetSnapshot().open_until, clock_.Now() + seconds(30));
}

TEST(CircuitBreakerOptionsTest, GrowthOfOneKeepsTheCoolDownFixed) {
  testing::SimulatedClock clock;
  CircuitBreaker breaker(&clock, Options(1, seconds(10), 1.0, seconds(10)));
  breaker.RecordFailure(breaker.Allow());
  for (int i = 0; i < 3; ++i) {
    clock.Advance(seconds(10));
    breaker.RecordFailure(breaker.Allow());
    EXPECT_EQ(breaker.GetSnapshot().open_until, clock.Now() + seconds(10));
  }
}

TEST_F(CircuitBreakerTest, LateAnswersFromBeforeTheOpeningAreIgnored) {
  // Five deliveries go out while closed; three fail and open the breaker.
  std::vector<CircuitBreaker::Admission> in_flight;
  for (int i = 0; i < 5; ++i) {
    in_flight.push_back(breaker_.Allow());
  }
  for (int i = 0; i < 3; ++i) {
    breaker_.RecordFailure(in_flight[static_cast<std::size_t>(i)]);
  }
  ASSERT_EQ(breaker_.state(), BreakerState::kOpen);
  // A late success does not close it...
  breaker_.RecordSuccess(in_flight[3]);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  // ... and while half-open, late answers neither close it nor steal the probe's verdict.
  clock_.Advance(seconds(30));
  CircuitBreaker::Admission probe = breaker_.Allow();
  ASSERT_TRUE(probe.probe());
  breaker_.RecordFailure(in_flight[4]);
  breaker_.RecordSuccess(in_flight[3]);
  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(breaker_.Allow());
  breaker_.RecordFailure(probe);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  // A probe answered twice counts once.
  breaker_.RecordSuccess(probe);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, RefusedAdmissionsCarryNoVerdict) {
  FailInARow(3);
  CircuitBreaker::Admission refused = breaker_.Allow();
  ASSERT_FALSE(refused);
  breaker_.RecordSuccess(refused);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, AnAbandonedProbeLetsAnotherProbeGo) {
  FailInARow(3);
  clock_.Advance(seconds(30));
  CircuitBreaker::Admission probe = breaker_.Allow();
  ASSERT_TRUE(probe.probe());
  EXPECT_FALSE(breaker_.Allow());
  breaker_.Abandon(probe);
  EXPECT_FALSE(breaker_.GetSnapshot().probe_in_flight);
  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  CircuitBreaker::Admission second = breaker_.Allow();
  ASSERT_TRUE(second.probe());
  // Abandoning the first again, or a non-probe, changes nothing.
  breaker_.Abandon(probe);
  EXPECT_TRUE(breaker_.GetSnapshot().probe_in_flight);
  breaker_.RecordSuccess(second);
  CircuitBreaker::Admission ordinary = breaker_.Allow();
  breaker_.Abandon(ordinary);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST(BreakerStateNameTest, NamesTheMetricsLabels) {
  EXPECT_EQ(BreakerStateName(BreakerState::kClosed), "closed");
  EXPECT_EQ(BreakerStateName(BreakerState::kOpen), "open");
  EXPECT_EQ(BreakerStateName(BreakerState::kHalfOpen), "half_open");
}

TEST(CircuitBreakerOptionsTest, Validates) {
  EXPECT_TRUE(ValidateCircuitBreakerOptions(CircuitBreakerOptions()).ok());
  EXPECT_FALSE(ValidateCircuitBreakerOptions(Options(0)).ok());
  EXPECT_FALSE(ValidateCircuitBreakerOptions(Options(3, Duration::zero())).ok());
  EXPECT_FALSE(ValidateCircuitBreakerOptions(Options(3, minutes(5), 2.0, minutes(1))).ok());
  EXPECT_FALSE(ValidateCircuitBreakerOptions(Options(3, seconds(30), 0.5)).ok());
  EXPECT_FALSE(ValidateCircuitBreakerOptions(Options(3, seconds(30), 2.0, Duration::max())).ok());
  EXPECT_FALSE(ValidateCircuitBreakerOptions(Options(3, seconds(30), 1e9)).ok());
  EXPECT_FALSE(ValidateCircuitBreakerOptions(
                   Options(3, seconds(30), std::numeric_limits<double>::quiet_NaN()))
                   .ok());
}

// Many threads call Allow() at the same instant on a breaker due for a probe; exactly one gets it.
TEST(CircuitBreakerRaceTest, ExactlyOneProbeWhenHalfOpen) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  testing::SimulatedClock clock;
  CircuitBreaker breaker(&clock, Options(1, seconds(5), 1.0, seconds(5)));
  breaker.RecordFailure(breaker.Allow());

  std::vector<CircuitBreaker::Admission> got(kThreads);
  // The main thread takes part too: it readies each round and checks it.
  std::barrier sync(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();  // the round starts
        got[static_cast<std::size_t>(t)] = breaker.Allow();
        sync.arrive_and_wait();  // the round ends
      }
    });
  }
  for (int round = 0; round < kRounds; ++round) {
    clock.Advance(seconds(5));  // due for a probe
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    int probes = 0;
    const CircuitBreaker::Admission* probe = nullptr;
    for (const CircuitBreaker::Admission& admission : got) {
      if (admission) {
        ++probes;
        probe = &admission;
      }
    }
    ASSERT_EQ(probes, 1) << "round " << round;
    EXPECT_TRUE(probe->probe());
    breaker.RecordFailure(*probe);  // open again for the next round
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

// Deliveries reporting concurrently while the clock moves: no data race, and since every
// admission is answered, the breaker is never left wedged with a probe out.
TEST(CircuitBreakerRaceTest, ConcurrentReportsKeepTheBreakerConsistent) {
  constexpr int kThreads = 4;
  testing::SimulatedClock clock;
  CircuitBreaker breaker(&clock, Options(3, seconds(1), 2.0, seconds(8)));
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        CircuitBreaker::Admission admission = breaker.Allow();
        if (!admission) {
          clock.Advance(std::chrono::milliseconds(1));
          continue;
        }
        admitted.fetch_add(1);
        if ((i + t) % 7 == 0) {
          breaker.RecordSuccess(admission);
        } else {
          breaker.RecordFailure(admission);
        }
        (void)breaker.GetSnapshot();
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_GT(admitted.load(), 0);
  EXPECT_FALSE(breaker.GetSnapshot().probe_in_flight);
  clock.Advance(seconds(8));  // past any cool-down
  EXPECT_TRUE(breaker.Allow());
}

}  // namespace
}  // namespace hookfence::delivery
