#include "src/store/transitions.h"

#include <gtest/gtest.h>

namespace hookfence::store::internal {
namespace {

using namespace std::chrono_literals;

Record Finished(State state, Timestamp at) {
  Record r;
  r.key = "s:e";
  r.state = state;
  r.finished_at = at;
  r.payload = Payload{"x", {}};
  return r;
}

TEST(TransitionsTest, SweepActionFollowsTheThreeRetentions) {
  StoreOptions o;
  o.retention = 1h;
  o.dead_retention = 2h;
  o.key_retention = 3h;
  const Timestamp t0 = FromMicros(1'000'000'000'000);
  Record done = Finished(State::kCompleted, t0);
  EXPECT_EQ(SweepActionFor(done, t0 + 59min, o), SweepAction::kKeep);
  EXPECT_EQ(SweepActionFor(done, t0 + 1h, o), SweepAction::kDropPayload);
  DropPayload(done, t0 + 1h);
  EXPECT_EQ(SweepActionFor(done, t0 + 2h, o), SweepAction::kKeep);
  EXPECT_EQ(SweepActionFor(done, t0 + 3h, o), SweepAction::kErase);

  Record dead = Finished(State::kDead, t0);
  EXPECT_EQ(SweepActionFor(dead, t0 + 1h, o), SweepAction::kKeep);
  EXPECT_EQ(SweepActionFor(dead, t0 + 2h, o), SweepAction::kDropPayload);
  EXPECT_EQ(SweepActionFor(dead, t0 + 3h, o), SweepAction::kErase);

  // A dead letter outlives key_retention when dead_retention is longer.
  o.dead_retention = 5h;
  EXPECT_EQ(SweepActionFor(dead, t0 + 4h, o), SweepAction::kKeep);
  EXPECT_EQ(SweepActionFor(dead, t0 + 5h, o), SweepAction::kErase);

  Record pending;
  pending.state = State::kPending;
  EXPECT_EQ(SweepActionFor(pending, t0 + 10000h, o), SweepAction::kKeep);
}

TEST(TransitionsTest, LeaseLapsesOnlyAfterTheSkew) {
  Record r;
  r.state = State::kInProgress;
  const Timestamp t0 = FromMicros(1'000'000'000'000);
  r.lease_until = t0;
  EXPECT_FALSE(LeaseLapsed(r, t0 + 999ms, 1s));
  EXPECT_TRUE(LeaseLapsed(r, t0 + 1s, 1s));
  EXPECT_EQ(ClaimableAt(r, 1s), t0 + 1s);
}

TEST(TransitionsTest, AttemptLogIsBounded) {
  Record r;
  for (int i = 0; i < 50; ++i)
    AppendAttempt(r, Attempt{{}, static_cast<std::uint64_t>(i), 0, "", {}});
  ASSERT_EQ(r.attempt_log.size(), kAttemptLogSize);
  EXPECT_EQ(r.attempt_log.front().fence, 30u);
  EXPECT_EQ(r.attempt_log.back().fence, 49u);
}

}  // namespace
}  // namespace hookfence::store::internal
