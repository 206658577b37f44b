#include "tests/integration/event_records.h"

#include "hookfence/fingerprint.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

AcceptRequest LeasedAccept(const std::string& key) {
  AcceptRequest request;
  request.key = key;
  request.fingerprint = Fingerprint(EventBody(key));
  request.payload.body = EventBody(key);
  request.payload.headers = {{"Content-Type", "application/json"}};
  request.lease = 30s;
  return request;
}

Attempt AttemptAt(Clock& clock, std::uint64_t fence, int status, std::string error) {
  return Attempt{clock.Now(), fence, status, std::move(error), 1500us};
}

}  // namespace

std::string EventBody(const std::string& key) { return R"({"key":")" + key + R"("})"; }

std::uint64_t PutInProgress(Store& store, const std::string& key) {
  auto accepted = store.Accept(LeasedAccept(key));
  EXPECT_TRUE(accepted.ok()) << accepted.status();
  if (!accepted.ok()) return 0;
  EXPECT_EQ(accepted->kind, AcceptOutcome::Kind::kInserted) << key;
  return accepted->fence;
}

void PutDead(Store& store, Clock& clock, const std::string& key) {
  const std::uint64_t fence = PutInProgress(store, key);
  FailRequest fail;
  fail.key = key;
  fail.fence = fence;
  fail.attempt = AttemptAt(clock, fence, 400, "final 400");
  fail.error = "final 400";
  fail.dead = true;
  const Status status = store.Fail(std::move(fail));
  EXPECT_TRUE(status.ok()) << status;
}

void PutCompleted(Store& store, Clock& clock, const std::string& key) {
  const std::uint64_t fence = PutInProgress(store, key);
  const Status status = store.Complete(key, fence, AttemptAt(clock, fence, 200, ""), std::nullopt);
  EXPECT_TRUE(status.ok()) << status;
}

void PutCallerCompleted(Store& store, Clock& clock, const std::string& key) {
  BeginRequest begin;
  begin.key = key;
  begin.fingerprint = Fingerprint(EventBody(key));
  begin.lease = 30s;
  begin.payload.body = EventBody(key);
  auto begun = store.Begin(std::move(begin));
  ASSERT_TRUE(begun.ok()) << begun.status();
  ASSERT_EQ(begun->kind, BeginOutcome::Kind::kAcquired);
  const Status status = store.Complete(key, begun->fence, AttemptAt(clock, begun->fence, 200, ""),
                                       Response{200, {}, "ok"});
  EXPECT_TRUE(status.ok()) << status;
}

::testing::AssertionResult Replayed(Store& store, const std::string& key) {
  auto record = store.Get(key);
  if (!record.ok()) return ::testing::AssertionFailure() << key << ": " << record.status();
  if (record->state != State::kPending && record->state != State::kInProgress) {
    return ::testing::AssertionFailure() << key << " is " << StateName(record->state);
  }
  if (record->attempts != 0 && record->attempt_log.back().fence <= 1) {
    return ::testing::AssertionFailure() << key << " kept its attempts: " << record->attempts;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult InState(Store& store, const std::string& key, State state) {
  auto record = store.Get(key);
  if (!record.ok()) return ::testing::AssertionFailure() << key << ": " << record.status();
  if (record->state != state) {
    return ::testing::AssertionFailure()
           << key << " is " << StateName(record->state) << ", not " << StateName(state);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace hookfence::testing
