#include "src/server/loop_lag.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>

namespace hookfence::server {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// A loop driven by the test, one handler at a time, with lateness measured on a time the test
// moves: "the loop came round N ms after the tick was due" without making anything wait.
class LoopLagTest : public ::testing::Test {
 protected:
  std::shared_ptr<LoopLag> Make(Duration threshold) {
    return std::make_shared<LoopLag>(context_, threshold, [this] { return now_; });
  }
  // Runs the tick that is due, `late` after it was due.
  void TickLate(Steady::duration late) {
    now_ += 1ms + late;
    ASSERT_EQ(context_.run_one(), 1u) << "no tick was waiting";
  }
  // Ticks `late` after they were due, with a request during each, while the streak of late ticks
  // stays within `span`.
  void TickLateFor(LoopLag& lag, Steady::duration late, Steady::duration span) {
    for (const auto end = now_ + span; now_ + 1ms + late < end;) {
      lag.Note();
      TickLate(late);
    }
  }

  boost::asio::io_context context_;
  Steady::time_point now_ = Steady::now();
};

// How many of `calls` webhooks Admit refuses.
int Refusals(LoopLag& lag, int calls) {
  int refused = 0;
  for (int i = 0; i < calls; ++i) refused += lag.Admit() ? 0 : 1;
  return refused;
}

TEST_F(LoopLagTest, ABurstWorkedOffWithinTheWindowIsNeverRefused) {
  auto lag = Make(20ms);
  EXPECT_FALSE(lag->measuring()) << "the timer runs before any request";
  lag->Note();
  EXPECT_TRUE(lag->measuring());
  TickLate(150ms);  // one long round: late, but shorter than kSustained
  EXPECT_EQ(lag->last_lag(), 150ms);
  EXPECT_EQ(lag->refused_share(), 0);
  EXPECT_EQ(Refusals(*lag, 1000), 0);
}

TEST_F(LoopLagTest, LatenessSustainedForTheWindowStartsRefusingAShare) {
  static_assert(LoopLag::kSustained == 200ms);
  static_assert(LoopLag::kStep == 1.0 / 16);
  auto lag = Make(20ms);
  TickLateFor(*lag, 30ms, 190ms);
  EXPECT_EQ(lag->refused_share(), 0) << "the streak is shorter than kSustained";
  lag->Note();
  TickLate(30ms);
  EXPECT_EQ(lag->refused_share(), 1.0 / 16) << "every tick for over 200 ms ran late";
  EXPECT_EQ(Refusals(*lag, 160), 10) << "one webhook in 16, spread evenly";
}

TEST_F(LoopLagTest, TheShareClimbsWhileLateAndFallsWhileOnTime) {
  auto lag = Make(20ms);
  lag->Note();
  TickLate(250ms);  // the loop did not come round for longer than the window: refusals start
  ASSERT_EQ(lag->refused_share(), 1.0 / 16);
  for (int i = 0; i < 20; ++i) {
    lag->Note();
    TickLate(30ms);
  }
  EXPECT_EQ(lag->refused_share(), 1.0) << "capped at everything";
  EXPECT_EQ(Refusals(*lag, 100), 100);
  lag->Note();
  TickLate(0ms);
  EXPECT_EQ(lag->refused_share(), 15.0 / 16);
  // Still refusing: a late tick steers at once, without a new kSustained streak.
  lag->Note();
  TickLate(21ms);
  EXPECT_EQ(lag->refused_share(), 1.0);
  for (int i = 0; i < 16; ++i) {
    lag->Note();
    TickLate(20ms);  // at the threshold is on time
  }
  EXPECT_EQ(lag->refused_share(), 0);
  EXPECT_EQ(Refusals(*lag, 1000), 0);
  // Refusing again needs a whole new streak.
  lag->Note();
  TickLate(30ms);
  EXPECT_EQ(lag->refused_share(), 0);
}

TEST_F(LoopLagTest, LatenessAtTheThresholdBreaksTheStreak) {
  auto lag = Make(20ms);
  TickLateFor(*lag, 30ms, 150ms);
  lag->Note();
  TickLate(20ms);  // not later than the threshold
  TickLateFor(*lag, 30ms, 150ms);
  EXPECT_EQ(lag->refused_share(), 0) << "two streaks of 150 ms are not one of 300 ms";
  TickLateFor(*lag, 21ms, 100ms);
  EXPECT_GT(lag->refused_share(), 0) << "21 ms is later than 20 ms";
}

TEST_F(LoopLagTest, ATickWithoutRequestsStopsTheTimerAndTheRefusals) {
  auto lag = Make(20ms);
  lag->Note();
  TickLate(300ms);
  ASSERT_GT(lag->refused_share(), 0);
  // No request during the next tick: however late it runs, the loop has nothing to catch up on.
  TickLate(300ms);
  EXPECT_EQ(lag->refused_share(), 0);
  EXPECT_EQ(Refusals(*lag, 1000), 0);
  EXPECT_FALSE(lag->measuring());
  EXPECT_EQ(context_.poll(), 0u) << "an idle loop still has a timer";
  context_.restart();  // a loop that ran out of work stops until restarted
  // The next request starts it again.
  lag->Note();
  EXPECT_TRUE(lag->measuring());
  TickLate(300ms);
  EXPECT_GT(lag->refused_share(), 0);
}

TEST_F(LoopLagTest, ZeroThresholdMeasuresNothing) {
  auto lag = Make(Duration::zero());
  lag->Note();
  EXPECT_FALSE(lag->measuring());
  EXPECT_EQ(context_.poll(), 0u);
  EXPECT_EQ(Refusals(*lag, 1000), 0);
}

TEST_F(LoopLagTest, NoTickRunsOnceTheLagIsGone) {
  auto lag = Make(20ms);
  lag->Note();
  lag.reset();  // the gateway went away with a tick pending
  now_ += 1ms;
  EXPECT_EQ(context_.run_one(), 1u);  // the tick's handler runs and touches nothing
}

}  // namespace
}  // namespace hookfence::server
