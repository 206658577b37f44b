// The conformance tests themselves; see store_conformance.h.
#include "testing/store_conformance.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "hookfence/fingerprint.h"
#include "testing/commit_gate.h"
#include "testing/scratch_dir.h"
#include "testing/simulated_clock.h"
#include "testing/test_servers.h"

namespace hookfence::testing {

// Test programs that link the testing library without a store backend instantiate nothing.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);

void StoreConformanceTest::SetUp() {
  if (GetParam().server.empty()) return;
  HOOKFENCE_TEST_SERVER_URL(url, GetParam().server);
}

namespace {

using namespace std::chrono_literals;
using AcceptKind = AcceptOutcome::Kind;
using BeginKind = BeginOutcome::Kind;

// One test's store, clock and files.
class Harness {
 public:
  explicit Harness(const StoreFactory& factory,
                   const std::function<void(StoreOptions&)>& configure = {}) {
    options_.clock = &clock_;
    if (configure) configure(options_);
    const std::string where =
        factory.server.empty() ? scratch_.path() : TestServerUrl(factory.server).value_or("");
    auto opened = factory.open(options_, where);
    if (!opened.ok()) std::cerr << factory.name << ": " << opened.status() << "\n";
    HF_CHECK(opened.ok());
    store_ = std::move(*opened);
  }

  Store& store() { return *store_; }
  SimulatedClock& clock() { return clock_; }
  const StoreOptions& options() const { return options_; }

 private:
  ScratchDir scratch_;  // destroyed after the store
  SimulatedClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

std::string Body(const std::string& key) { return R"({"id":")" + key + R"(","amount":100})"; }

AcceptRequest Acc(const std::string& key, std::optional<Duration> lease = std::nullopt,
                  const std::string& ordering_key = "", const std::string& body = "") {
  AcceptRequest r;
  r.key = key;
  r.payload.body = body.empty() ? Body(key) : body;
  r.payload.headers = {{"content-type", "application/json"}, {"stripe-signature", "t=1"}};
  r.fingerprint = Fingerprint(r.payload.body);
  r.lease = lease;
  r.ordering_key = ordering_key;
  return r;
}

BeginRequest Beg(const std::string& key, Duration lease = 30s, const std::string& body = "") {
  BeginRequest r;
  r.key = key;
  r.payload.body = body.empty() ? Body(key) : body;
  r.fingerprint = Fingerprint(r.payload.body);
  r.lease = lease;
  return r;
}

Attempt Done(std::uint64_t fence, int status = 200) { return Attempt{{}, fence, status, "", 5ms}; }

FailRequest Retry(const std::string& key, std::uint64_t fence, Timestamp at,
                  const std::string& error = "503 from destination") {
  FailRequest r;
  r.key = key;
  r.fence = fence;
  r.attempt = Attempt{{}, fence, 503, error, 5ms};
  r.error = error;
  r.retry_at = at;
  return r;
}

FailRequest Dead(const std::string& key, std::uint64_t fence) {
  FailRequest r = Retry(key, fence, {}, "404 from destination");
  r.dead = true;
  return r;
}

Record MustGet(Store& store, const std::string& key) {
  auto record = store.Get(key);
  HF_CHECK(record.ok());
  return *record;
}

// CountQueues' answer as text, so that a failed comparison shows every count (or the error).
std::string Counts(Store& store) {
  auto counts = store.CountQueues();
  if (!counts.ok()) return counts.status().ToString();
  return "due=" + std::to_string(counts->due) + " scheduled=" + std::to_string(counts->scheduled) +
         " leased=" + std::to_string(counts->leased) + " dead=" + std::to_string(counts->dead);
}

std::set<std::string> ClaimedKeys(const std::vector<Claim>& claims) {
  std::set<std::string> keys;
  for (const Claim& c : claims) keys.insert(c.record.key);
  return keys;
}

TEST_P(StoreConformanceTest, AcceptInsertsLeasedOrQueued) {
  Harness h(GetParam());
  auto leased = h.store().Accept(Acc("stripe:evt_1", 30s));
  ASSERT_TRUE(leased.ok()) << leased.status();
  EXPECT_EQ(leased->kind, AcceptKind::kInserted);
  EXPECT_EQ(leased->fence, 1u);
  EXPECT_EQ(leased->lease_until, h.clock().Now() + 30s);

  auto queued = h.store().Accept(Acc("stripe:evt_2"));
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->kind, AcceptKind::kQueued);
  EXPECT_GT(queued->seq, leased->seq);

  Record r = MustGet(h.store(), "stripe:evt_1");
  EXPECT_EQ(r.state, State::kInProgress);
  EXPECT_EQ(r.driver, Driver::kDispatcher);
  EXPECT_EQ(r.source(), "stripe");
  EXPECT_EQ(r.event_id(), "evt_1");
  ASSERT_TRUE(r.payload.has_value());
  EXPECT_EQ(r.payload->body, Body("stripe:evt_1"));
  EXPECT_EQ(r.payload->headers.size(), 2u);
  EXPECT_EQ(r.fingerprint, Fingerprint(Body("stripe:evt_1")));
  EXPECT_EQ(MustGet(h.store(), "stripe:evt_2").state, State::kPending);
}

TEST_P(StoreConformanceTest, DuplicateAndMismatchLeaveTheOriginalUntouched) {
  Harness h(GetParam());
  ASSERT_EQ(h.store().Accept(Acc("stripe:evt_1", 30s))->kind, AcceptKind::kInserted);
  Record before = MustGet(h.store(), "stripe:evt_1");
  h.clock().Advance(1s);
  EXPECT_EQ(h.store().Accept(Acc("stripe:evt_1", 30s))->kind, AcceptKind::kDuplicate);
  EXPECT_EQ(h.store().Accept(Acc("stripe:evt_1", 30s, "", "{\"other\":1}"))->kind,
            AcceptKind::kMismatch);
  EXPECT_EQ(MustGet(h.store(), "stripe:evt_1"), before);

  ASSERT_EQ(h.store().Begin(Beg("shop:o1"))->kind, BeginKind::kAcquired);
  Record begun = MustGet(h.store(), "shop:o1");
  EXPECT_EQ(h.store().Begin(Beg("shop:o1", 30s, "{\"other\":1}"))->kind, BeginKind::kMismatch);
  EXPECT_EQ(h.store().Begin(Beg("shop:o1"))->kind, BeginKind::kInProgress);
  EXPECT_EQ(h.store().Accept(Acc("shop:o1", 30s, "", "{\"other\":1}"))->kind,
            AcceptKind::kMismatch);
  EXPECT_EQ(MustGet(h.store(), "shop:o1"), begun);
}

TEST_P(StoreConformanceTest, DuplicateOfEveryStateIsDuplicate) {
  Harness h(GetParam());
  auto done = h.store().Accept(Acc("s:done", 30s));
  ASSERT_TRUE(h.store().Complete("s:done", done->fence, Done(done->fence), std::nullopt).ok());
  auto dead = h.store().Accept(Acc("s:dead", 30s));
  ASSERT_TRUE(h.store().Fail(Dead("s:dead", dead->fence)).ok());
  ASSERT_EQ(h.store().Accept(Acc("s:pending"))->kind, AcceptKind::kQueued);
  for (const char* key : {"s:done", "s:dead", "s:pending"}) {
    EXPECT_EQ(h.store().Accept(Acc(key, 30s))->kind, AcceptKind::kDuplicate) << key;
  }
}

TEST_P(StoreConformanceTest, BadArgumentsAreRefusedAndWriteNothing) {
  Harness h(GetParam());
  auto code = [](const auto& result) { return result.status().code(); };
  EXPECT_EQ(code(h.store().Accept(Acc(""))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Accept(Acc("s:" + std::string(511, 'x')))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Accept(Acc("no-colon"))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Accept(Acc("Bad Source:e"))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Accept(Acc("s:bad id"))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Accept(Acc("s:e1", 0s))), StatusCode::kInvalidArgument);
  AcceptRequest no_fingerprint = Acc("s:e2");
  no_fingerprint.fingerprint.clear();
  EXPECT_EQ(code(h.store().Accept(no_fingerprint)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Begin(Beg(""))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Begin(Beg("s:" + std::string(600, 'y')))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Begin(Beg("s:e3", 0s))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Begin(Beg("s:e3", -5s))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Begin(Beg("s:e3", kMaxDuration + 1s))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().ClaimDue(10, 0s)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().ClaimDue(0, 10s)), StatusCode::kInvalidArgument);
  EXPECT_EQ(h.store().Complete("", 1, Done(1), std::nullopt).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(h.store().Get("")), StatusCode::kInvalidArgument);

  ASSERT_EQ(h.store().Begin(Beg("s:held"))->kind, BeginKind::kAcquired);
  EXPECT_EQ(code(h.store().Renew("s:held", 1, 0s)), StatusCode::kInvalidArgument);

  ListFilter all;
  auto page = h.store().List(all);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);  // only s:held
  EXPECT_EQ(page->records[0].key, "s:held");
  EXPECT_EQ(MustGet(h.store(), "s:held").lease_until, h.clock().Now() + 30s);
}

TEST_P(StoreConformanceTest, OwnerOperationsOnAMissingKeyAreNotFound) {
  Harness h(GetParam());
  EXPECT_EQ(h.store().Get("s:nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store().Complete("s:nope", 1, Done(1), std::nullopt).code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store().Fail(Retry("s:nope", 1, h.clock().Now())).code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store().Renew("s:nope", 1, 1s).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store().Release("s:nope", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store().Replay("s:nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store().Purge("s:nope").code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, LeaseExpiryLetsBeginTakeOverAndFencesTheOldHolder) {
  Harness h(GetParam());
  auto first = h.store().Begin(Beg("s:e", 10s));
  ASSERT_EQ(first->kind, BeginKind::kAcquired);
  ASSERT_EQ(first->fence, 1u);

  // Expired, but within max_clock_skew: still the holder's.
  h.clock().Advance(10s);
  EXPECT_EQ(h.store().Begin(Beg("s:e", 10s))->kind, BeginKind::kInProgress);
  h.clock().Advance(h.options().max_clock_skew);
  auto second = h.store().Begin(Beg("s:e", 10s));
  ASSERT_EQ(second->kind, BeginKind::kAcquired);
  EXPECT_EQ(second->fence, 2u);

  Record taken = MustGet(h.store(), "s:e");
  EXPECT_EQ(taken.attempts, 1u);  // the lost attempt counts
  ASSERT_EQ(taken.attempt_log.size(), 1u);
  EXPECT_EQ(taken.attempt_log[0].fence, 1u);
  EXPECT_EQ(taken.attempt_log[0].error, "lease expired");

  h.clock().Advance(1s);
  EXPECT_EQ(h.store().Complete("s:e", 1, Done(1), Response{200, {}, "late"}).code(),
            StatusCode::kAborted);
  EXPECT_EQ(h.store().Fail(Retry("s:e", 1, h.clock().Now())).code(), StatusCode::kAborted);
  EXPECT_EQ(h.store().Renew("s:e", 1, 60s).status().code(), StatusCode::kAborted);
  EXPECT_EQ(h.store().Release("s:e", 1).code(), StatusCode::kAborted);
  EXPECT_EQ(MustGet(h.store(), "s:e"), taken);

  EXPECT_TRUE(h.store().Complete("s:e", 2, Done(2), Response{201, {}, "ok"}).ok());
  EXPECT_EQ(MustGet(h.store(), "s:e").state, State::kCompleted);
  // Completed: even the (former) current fence cannot act any more.
  EXPECT_EQ(h.store().Complete("s:e", 2, Done(2), std::nullopt).code(), StatusCode::kAborted);
}

TEST_P(StoreConformanceTest, RenewKeepsTheLeaseAlive) {
  Harness h(GetParam());
  auto accepted = h.store().Accept(Acc("s:e", 10s));
  h.clock().Advance(8s);
  auto renewed = h.store().Renew("s:e", accepted->fence, 10s);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*renewed, h.clock().Now() + 10s);
  h.clock().Advance(8s);  // past the first lease, within the renewed one
  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());
  h.clock().Advance(2s + h.options().max_clock_skew);
  auto claims = h.store().ClaimDue(10, 10s);
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].record.fence, 2u);
}

TEST_P(StoreConformanceTest, AttemptsAreCountedAsTheDesignSays) {
  Harness h(GetParam());
  auto accepted = h.store().Accept(Acc("s:e", 10s));
  ASSERT_EQ(accepted->fence, 1u);

  // Fail: +1, PENDING with last_error, due later.
  ASSERT_TRUE(h.store().Fail(Retry("s:e", 1, h.clock().Now() + 5s)).ok());
  Record failed = MustGet(h.store(), "s:e");
  EXPECT_EQ(failed.state, State::kPending);
  EXPECT_EQ(failed.attempts, 1u);
  EXPECT_EQ(failed.last_error, "503 from destination");
  EXPECT_EQ(failed.due_at, h.clock().Now() + 5s);
  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());  // not yet due

  h.clock().Advance(5s);
  auto claims = h.store().ClaimDue(10, 10s);
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].record.fence, 2u);
  ASSERT_TRUE((*claims)[0].record.payload.has_value());
  EXPECT_EQ((*claims)[0].record.payload->body, Body("s:e"));

  // Release: +0, due now, claimed again with fence + 1.
  ASSERT_TRUE(h.store().Release("s:e", 2).ok());
  EXPECT_EQ(MustGet(h.store(), "s:e").attempts, 1u);
  EXPECT_EQ(MustGet(h.store(), "s:e").state, State::kPending);
  claims = h.store().ClaimDue(10, 10s);
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].record.fence, 3u);

  // A lapsed lease taken over by ClaimDue: +1.
  h.clock().Advance(10s + h.options().max_clock_skew);
  claims = h.store().ClaimDue(10, 10s);
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].record.fence, 4u);
  EXPECT_EQ((*claims)[0].record.attempts, 2u);

  // Complete: +1.
  ASSERT_TRUE(h.store().Complete("s:e", 4, Done(4), std::nullopt).ok());
  Record done = MustGet(h.store(), "s:e");
  EXPECT_EQ(done.state, State::kCompleted);
  EXPECT_EQ(done.attempts, 3u);
  EXPECT_EQ(done.finished_at, h.clock().Now());
  ASSERT_EQ(done.attempt_log.size(), 3u);
  EXPECT_EQ(done.attempt_log[0].status, 503);
  EXPECT_EQ(done.attempt_log[1].error, "lease expired");
  EXPECT_EQ(done.attempt_log[2].status, 200);
  EXPECT_EQ(done.attempt_log[2].fence, 4u);
}

TEST_P(StoreConformanceTest, DeadAndReplay) {
  Harness h(GetParam());
  auto accepted = h.store().Accept(Acc("s:e", 10s));
  ASSERT_TRUE(h.store().Fail(Dead("s:e", accepted->fence)).ok());
  Record dead = MustGet(h.store(), "s:e");
  EXPECT_EQ(dead.state, State::kDead);
  EXPECT_EQ(dead.attempts, 1u);
  EXPECT_TRUE(dead.finished_at.has_value());
  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());
  EXPECT_EQ(h.store().Begin(Beg("s:e"))->kind, BeginKind::kDead);

  ASSERT_TRUE(h.store().Replay("s:e").ok());
  Record revived = MustGet(h.store(), "s:e");
  EXPECT_EQ(revived.state, State::kPending);
  EXPECT_EQ(revived.attempts, 0u);
  EXPECT_FALSE(revived.finished_at.has_value());
  auto claims = h.store().ClaimDue(10, 10s);
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_GT((*claims)[0].record.fence, accepted->fence);
  // Replay of an unfinished record is refused.
  EXPECT_EQ(h.store().Replay("s:e").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(h.store().Complete("s:e", (*claims)[0].record.fence, Done(2), std::nullopt).ok());
  // A completed dispatcher-driven record can be replayed too.
  EXPECT_TRUE(h.store().Replay("s:e").ok());

  // Caller-driven records are never replayed and never go dead.
  auto begun = h.store().Begin(Beg("s:sync"));
  EXPECT_EQ(h.store().Fail(Dead("s:sync", begun->fence)).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(h.store().Complete("s:sync", begun->fence, Done(1), std::nullopt).ok());
  EXPECT_EQ(h.store().Replay("s:sync").code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreConformanceTest, AttemptLogKeepsTheLastTwenty) {
  Harness h(GetParam());
  std::uint64_t fence = h.store().Accept(Acc("s:e", 10s))->fence;
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(h.store().Fail(Retry("s:e", fence, h.clock().Now(), "e" + std::to_string(i))).ok());
    auto claims = h.store().ClaimDue(1, 10s);
    ASSERT_EQ(claims->size(), 1u);
    fence = (*claims)[0].record.fence;
  }
  Record r = MustGet(h.store(), "s:e");
  EXPECT_EQ(r.attempts, 25u);
  ASSERT_EQ(r.attempt_log.size(), kAttemptLogSize);
  EXPECT_EQ(r.attempt_log.front().error, "e5");
  EXPECT_EQ(r.attempt_log.back().error, "e24");
  EXPECT_EQ(r.attempt_log.back().fence, 25u);
}

TEST_P(StoreConformanceTest, AcceptedRecordIsClaimedOnlyAfterItsLeaseAndSkew) {
  Harness h(GetParam());
  auto accepted = h.store().Accept(Acc("s:e", 20s));
  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());
  h.clock().Advance(20s);
  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());  // lease over, skew not yet
  h.clock().Advance(h.options().max_clock_skew);
  auto claims = h.store().ClaimDue(10, 10s);
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].record.fence, accepted->fence + 1);
  EXPECT_EQ((*claims)[0].record.lease_until, h.clock().Now() + 10s);
}

TEST_P(StoreConformanceTest, BeginNeverTakesADispatcherDrivenRecord) {
  Harness h(GetParam());
  h.store().Accept(Acc("s:leased", 10s)).status().IgnoreError();
  h.store().Accept(Acc("s:queued")).status().IgnoreError();
  h.clock().Advance(1h);  // the lease has long lapsed; queued is long due
  EXPECT_EQ(h.store().Begin(Beg("s:leased"))->kind, BeginKind::kInProgress);
  EXPECT_EQ(h.store().Begin(Beg("s:queued"))->kind, BeginKind::kInProgress);
  auto claims = h.store().ClaimDue(10, 10s);
  EXPECT_EQ(ClaimedKeys(*claims), (std::set<std::string>{"s:leased", "s:queued"}));
  for (const Claim& c : *claims) {
    ASSERT_TRUE(
        h.store()
            .Complete(c.record.key, c.record.fence, Done(c.record.fence), Response{200, {}, "x"})
            .ok());
  }
  auto completed = h.store().Begin(Beg("s:leased"));
  EXPECT_EQ(completed->kind, BeginKind::kCompleted);
}

TEST_P(StoreConformanceTest, CallerDrivenPendingIsTakenByTheNextBeginAtOnce) {
  Harness h(GetParam());
  auto first = h.store().Begin(Beg("s:e", 30s));
  ASSERT_TRUE(h.store().Fail(Retry("s:e", first->fence, h.clock().Now() + 1h)).ok());
  // The caller's retry is the retry: no waiting for due_at.
  auto second = h.store().Begin(Beg("s:e", 30s));
  ASSERT_EQ(second->kind, BeginKind::kAcquired);
  EXPECT_EQ(second->fence, 2u);
  EXPECT_EQ(MustGet(h.store(), "s:e").attempts, 1u);
  // ClaimDue never touches caller-driven records.
  h.clock().Advance(2h);
  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());
  // Released: taken by the next Begin too.
  auto third = h.store().Begin(Beg("s:e", 30s));
  ASSERT_EQ(third->kind, BeginKind::kAcquired);
  ASSERT_TRUE(h.store().Release("s:e", third->fence).ok());
  EXPECT_EQ(h.store().Begin(Beg("s:e", 30s))->fence, third->fence + 1);
}

TEST_P(StoreConformanceTest, CompletedResponseIsReplayedByBegin) {
  Harness h(GetParam());
  auto begun = h.store().Begin(Beg("s:e"));
  Response response{
      201, {{"content-type", "application/json"}}, std::string("{\"ok\":\0true}", 12)};
  ASSERT_TRUE(h.store().Complete("s:e", begun->fence, Done(begun->fence, 201), response).ok());
  auto again = h.store().Begin(Beg("s:e"));
  ASSERT_EQ(again->kind, BeginKind::kCompleted);
  ASSERT_TRUE(again->response.has_value());
  EXPECT_EQ(*again->response, response);  // byte for byte, NUL included
}

TEST_P(StoreConformanceTest, ClaimDueFromEightThreadsHandsEachRecordOutOncePerFence) {
  Harness h(GetParam());
  constexpr int kDue = 2000;
  constexpr int kLater = 200;
  for (int i = 0; i < kDue; ++i) {
    ASSERT_EQ(h.store().Accept(Acc("s:due" + std::to_string(i)))->kind, AcceptKind::kQueued);
  }
  for (int i = 0; i < kLater; ++i) {
    std::string key = "s:later" + std::to_string(i);
    auto accepted = h.store().Accept(Acc(key, 10s));
    ASSERT_TRUE(h.store().Fail(Retry(key, accepted->fence, h.clock().Now() + 1h)).ok());
  }

  auto claim_all = [&](std::uint64_t expected_fence) {
    std::mutex mu;
    std::map<std::string, int> seen;
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (;;) {
          auto claims = h.store().ClaimDue(16, 10min);
          if (!claims.ok()) {
            errors.fetch_add(1);
            return;
          }
          if (claims->empty()) return;
          std::lock_guard lock(mu);
          for (const Claim& c : *claims) {
            ++seen[c.record.key];
            if (c.record.fence != expected_fence) errors.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    return seen;
  };

  auto first = claim_all(1);
  EXPECT_EQ(first.size(), static_cast<std::size_t>(kDue));
  for (const auto& [key, count] : first) {
    EXPECT_EQ(count, 1) << key;
    EXPECT_EQ(key.rfind("s:due", 0), 0u) << "not-yet-due record handed out: " << key;
  }
  // Every lease lapses (the retries fall due too): each record once more, with the next fence.
  h.clock().Advance(10min + h.options().max_clock_skew);
  auto second = claim_all(2);
  EXPECT_EQ(second.size(), static_cast<std::size_t>(kDue));
  for (const auto& [key, count] : second) EXPECT_EQ(count, 1) << key;
}

TEST_P(StoreConformanceTest, RacingBeginsAcquireExactlyOncePerKeyAndFence) {
  Harness h(GetParam());
  constexpr int kThreads = 16;
  // 100,000 calls in all in-process; a server's round trip per call makes 10,000 just as many
  // generations per key as a test can wait for (and under TSan, ten times longer still).
  const int kCallsPerThread = GetParam().server.empty() ? 6250 : 625;
  constexpr int kKeys = 64;
  std::mutex mu;
  std::map<std::string, std::vector<std::uint64_t>> acquired;  // key -> fences, in order seen
  std::atomic<int> errors{0};
  std::atomic<long> calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kCallsPerThread; ++i) {
        std::string key = "race:k" + std::to_string(rng() % kKeys);
        auto outcome = h.store().Begin(Beg(key, 1h));
        calls.fetch_add(1);
        if (!outcome.ok()) {
          errors.fetch_add(1);
          continue;
        }
        if (outcome->kind != BeginKind::kAcquired) continue;
        {
          std::lock_guard lock(mu);
          acquired[key].push_back(outcome->fence);
        }
        // Hand the key back so that later generations race too.
        Status back = rng() % 2 == 0 ? h.store().Fail(Retry(key, outcome->fence, h.clock().Now()))
                                     : h.store().Release(key, outcome->fence);
        if (!back.ok()) errors.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(calls.load(), kThreads * kCallsPerThread);
  std::size_t generations = 0;
  for (auto& [key, fences] : acquired) {
    std::sort(fences.begin(), fences.end());
    for (std::size_t i = 0; i < fences.size(); ++i) {
      ASSERT_EQ(fences[i], i + 1) << key << ": fence acquired twice or skipped";
    }
    EXPECT_EQ(MustGet(h.store(), key).fence, fences.size()) << key;
    generations += fences.size();
  }
  EXPECT_GT(generations, static_cast<std::size_t>(kKeys));  // the race really had generations
  std::cout << "[ racing   ] " << calls.load() << " Begin calls, " << generations
            << " acquisitions over " << acquired.size() << " keys\n";
}

// Accept answers counted from many threads.
struct AcceptTally {
  std::atomic<int> inserted{0}, duplicates{0}, other{0};
  void Count(const Result<AcceptOutcome>& outcome) {
    if (!outcome.ok()) {
      other.fetch_add(1);
    } else if (outcome->kind == AcceptKind::kInserted) {
      inserted.fetch_add(1);
    } else if (outcome->kind == AcceptKind::kDuplicate) {
      duplicates.fetch_add(1);
    } else {
      other.fetch_add(1);
    }
  }
};

TEST_P(StoreConformanceTest, ConcurrentAcceptsOfOneKeyInsertOnce) {
  Harness h(GetParam());
  AcceptTally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        tally.Count(h.store().Accept(Acc("s:k" + std::to_string(i), 30s)));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(tally.inserted.load(), 50);
  EXPECT_EQ(tally.duplicates.load(), 15 * 50);
  EXPECT_EQ(tally.other.load(), 0);
}

// AcceptAsync through a future: the callback may run on any thread, exactly once.
struct AsyncAnswer {
  Result<AcceptOutcome> outcome;
  Payload payload;
};
AsyncAnswer AcceptAndWait(Store& store, AcceptRequest request) {
  auto promise = std::make_shared<std::promise<AsyncAnswer>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::future<AsyncAnswer> answer = promise->get_future();
  store.AcceptAsync(std::move(request),
                    [promise, calls](Result<AcceptOutcome> outcome, Payload payload) {
                      if (calls->fetch_add(1) == 0)
                        promise->set_value({std::move(outcome), std::move(payload)});
                    });
  AsyncAnswer got = answer.get();
  EXPECT_EQ(calls->load(), 1) << "AcceptAsync answered more than once";
  return got;
}

TEST_P(StoreConformanceTest, AcceptAsyncAnswersAsAcceptAndHandsThePayloadBack) {
  Harness h(GetParam());
  const AcceptRequest original = Acc("s:a1", 30s);
  AsyncAnswer inserted = AcceptAndWait(h.store(), original);
  ASSERT_TRUE(inserted.outcome.ok()) << inserted.outcome.status();
  EXPECT_EQ(inserted.outcome->kind, AcceptKind::kInserted);
  EXPECT_EQ(inserted.outcome->fence, 1u);
  EXPECT_EQ(inserted.payload, original.payload);
  // Answered only once the record is there for every other reader.
  Record stored = MustGet(h.store(), "s:a1");
  EXPECT_EQ(stored.payload, original.payload);
  EXPECT_EQ(stored.state, State::kInProgress);

  AsyncAnswer duplicate = AcceptAndWait(h.store(), original);
  ASSERT_TRUE(duplicate.outcome.ok());
  EXPECT_EQ(duplicate.outcome->kind, AcceptKind::kDuplicate);
  EXPECT_EQ(duplicate.payload, original.payload);
  AsyncAnswer mismatch = AcceptAndWait(h.store(), Acc("s:a1", 30s, "", "{\"other\":1}"));
  ASSERT_TRUE(mismatch.outcome.ok());
  EXPECT_EQ(mismatch.outcome->kind, AcceptKind::kMismatch);
  EXPECT_EQ(mismatch.payload.body, "{\"other\":1}");
  AsyncAnswer queued = AcceptAndWait(h.store(), Acc("s:a2"));
  ASSERT_TRUE(queued.outcome.ok());
  EXPECT_EQ(queued.outcome->kind, AcceptKind::kQueued);

  AsyncAnswer refused = AcceptAndWait(h.store(), Acc("s:bad id", 30s));
  EXPECT_EQ(refused.outcome.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.payload.body, Body("s:bad id"));
  EXPECT_EQ(h.store().Get("s:bad id").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(h.store().List(ListFilter{})->records.size(), 2u);
}

// An owner's *Async write, waited for: the callback may run on any thread, exactly once.
Status WriteAndWait(const std::function<void(Store::WriteCallback)>& write) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::future<Status> answer = promise->get_future();
  write([promise, calls](Status status) {
    if (calls->fetch_add(1) == 0) promise->set_value(std::move(status));
  });
  Status got = answer.get();
  EXPECT_EQ(calls->load(), 1) << "an async owner write answered more than once";
  return got;
}

TEST_P(StoreConformanceTest, AsyncOwnerWritesAnswerAsTheBlockingCalls) {
  Harness h(GetParam());
  Store& store = h.store();
  auto completed = store.Accept(Acc("s:c", 30s));
  auto failed = store.Accept(Acc("s:f", 30s));
  auto released = store.Accept(Acc("s:r", 30s));
  ASSERT_TRUE(completed.ok() && failed.ok() && released.ok());

  // A stale fence changes nothing.
  const Record before = MustGet(store, "s:c");
  EXPECT_EQ(WriteAndWait([&](auto done) {
              store.CompleteAsync("s:c", 7, Done(7), std::nullopt, std::move(done));
            }).code(),
            StatusCode::kAborted);
  EXPECT_EQ(WriteAndWait([&](auto done) {
              store.FailAsync(Retry("s:c", 7, h.clock().Now()), std::move(done));
            }).code(),
            StatusCode::kAborted);
  EXPECT_EQ(WriteAndWait([&](auto done) { store.ReleaseAsync("s:c", 7, std::move(done)); }).code(),
            StatusCode::kAborted);
  EXPECT_EQ(MustGet(store, "s:c"), before);

  // Answered only once the change is there for every other reader.
  ASSERT_TRUE(WriteAndWait([&](auto done) {
                store.CompleteAsync("s:c", completed->fence, Done(completed->fence),
                                    Response{201, {}, "kept"}, std::move(done));
              }).ok());
  Record c = MustGet(store, "s:c");
  EXPECT_EQ(c.state, State::kCompleted);
  EXPECT_EQ(c.attempts, 1u);
  ASSERT_TRUE(c.response.has_value());
  EXPECT_EQ(c.response->body, "kept");

  ASSERT_TRUE(WriteAndWait([&](auto done) {
                store.FailAsync(Retry("s:f", failed->fence, h.clock().Now() + 5s), std::move(done));
              }).ok());
  Record f = MustGet(store, "s:f");
  EXPECT_EQ(f.state, State::kPending);
  EXPECT_EQ(f.due_at, h.clock().Now() + 5s);
  EXPECT_EQ(f.attempts, 1u);

  ASSERT_TRUE(WriteAndWait([&](auto done) {
                store.ReleaseAsync("s:r", released->fence, std::move(done));
              }).ok());
  Record r = MustGet(store, "s:r");
  EXPECT_EQ(r.state, State::kPending);
  EXPECT_EQ(r.attempts, 0u);

  EXPECT_EQ(WriteAndWait([&](auto done) {
              store.CompleteAsync("s:nope", 1, Done(1), std::nullopt, std::move(done));
            }).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(WriteAndWait([&](auto done) {
              store.FailAsync(Retry("s:bad id", 1, h.clock().Now()), std::move(done));
            }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteAndWait([&](auto done) { store.ReleaseAsync("", 1, std::move(done)); }).code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, ConcurrentAsyncAcceptsOfOneKeyInsertOnce) {
  Harness h(GetParam());
  constexpr int kCalls = 400;
  AcceptTally tally;
  std::atomic<int> answered{0}, payloads_lost{0};
  std::mutex mu;
  std::condition_variable all_answered;
  for (int i = 0; i < kCalls; ++i) {
    h.store().AcceptAsync(Acc("s:k" + std::to_string(i % 20), 30s),
                          [&](Result<AcceptOutcome> outcome, Payload payload) {
                            tally.Count(outcome);
                            if (payload.body.empty()) payloads_lost.fetch_add(1);
                            std::lock_guard lock(mu);
                            answered.fetch_add(1);
                            all_answered.notify_all();
                          });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(all_answered.wait_for(lock, 60s, [&] { return answered.load() == kCalls; }));
  EXPECT_EQ(tally.inserted.load(), 20);
  EXPECT_EQ(tally.duplicates.load(), kCalls - 20);
  EXPECT_EQ(tally.other.load(), 0);
  EXPECT_EQ(payloads_lost.load(), 0);
}

TEST_P(StoreConformanceTest, OrderingKeysAreClaimedOneAtATimeInReceiptOrder) {
  Harness h(GetParam());
  auto a1 = h.store().Accept(Acc("s:a1", 10s, "cus_A"));
  ASSERT_EQ(a1->kind, AcceptKind::kInserted);
  // An earlier record of cus_A is unfinished: queued even though a lease was asked for.
  ASSERT_EQ(h.store().Accept(Acc("s:a2", 10s, "cus_A"))->kind, AcceptKind::kQueued);
  ASSERT_EQ(h.store().Accept(Acc("s:a3", 10s, "cus_A"))->kind, AcceptKind::kQueued);
  ASSERT_EQ(h.store().Accept(Acc("s:b1", 100h, "cus_B"))->kind, AcceptKind::kInserted);
  // The same ordering key in another source is another group.
  ASSERT_EQ(h.store().Accept(Acc("t:a1", 100h, "cus_A"))->kind, AcceptKind::kInserted);

  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());  // a2, a3 wait for a1
  ASSERT_TRUE(h.store().Complete("s:a1", a1->fence, Done(1), std::nullopt).ok());
  auto claims = h.store().ClaimDue(10, 10s);
  EXPECT_EQ(ClaimedKeys(*claims), std::set<std::string>{"s:a2"});  // a3 still waits, for a2
  EXPECT_FALSE((*claims)[0].passed_dead_predecessor);

  // DEAD does not block, and is reported.
  ASSERT_TRUE(h.store().Fail(Dead("s:a2", (*claims)[0].record.fence)).ok());
  claims = h.store().ClaimDue(10, 10s);
  ASSERT_EQ(ClaimedKeys(*claims), std::set<std::string>{"s:a3"});
  EXPECT_TRUE((*claims)[0].passed_dead_predecessor);

  // A retry that falls due later still blocks the records after it.
  ASSERT_TRUE(h.store().Fail(Retry("s:a3", (*claims)[0].record.fence, h.clock().Now() + 1h)).ok());
  ASSERT_EQ(h.store().Accept(Acc("s:a4", std::nullopt, "cus_A"))->kind, AcceptKind::kQueued);
  EXPECT_TRUE(h.store().ClaimDue(10, 10s)->empty());
  h.clock().Advance(1h);
  claims = h.store().ClaimDue(10, 10s);
  EXPECT_EQ(ClaimedKeys(*claims), std::set<std::string>{"s:a3"});
}

TEST_P(StoreConformanceTest, OrderingWithManyKeysKeepsReceiptOrderPerKey) {
  Harness h(GetParam());
  constexpr int kEvents = 300;
  constexpr int kGroups = 10;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(
        h.store()
            .Accept(Acc("s:e" + std::to_string(i), std::nullopt, "g" + std::to_string(i % kGroups)))
            .ok());
  }
  std::map<std::string, std::vector<int>> delivered;  // group -> event numbers, in order
  int rounds = 0;
  for (;;) {
    auto claims = h.store().ClaimDue(64, 10s);
    ASSERT_TRUE(claims.ok());
    if (claims->empty()) break;
    ++rounds;
    EXPECT_LE(claims->size(), static_cast<std::size_t>(kGroups));  // one per group at a time
    for (const Claim& c : *claims) {
      delivered[c.record.ordering_key].push_back(
          std::stoi(std::string(c.record.event_id().substr(1))));
      ASSERT_TRUE(h.store().Complete(c.record.key, c.record.fence, Done(1), std::nullopt).ok());
    }
  }
  EXPECT_EQ(rounds, kEvents / kGroups);
  for (const auto& [group, events] : delivered) {
    EXPECT_TRUE(std::is_sorted(events.begin(), events.end())) << group;
    EXPECT_EQ(events.size(), static_cast<std::size_t>(kEvents / kGroups));
  }
}

TEST_P(StoreConformanceTest, DuplicateOfAnUndurableWriteWaitsForItsBatch) {
  if (!GetParam().batched) GTEST_SKIP() << "backend writes without batches";
  for (bool commit_fails : {false, true}) {
    SCOPED_TRACE(commit_fails ? "commit fails" : "commit succeeds");
    testing::CommitGate gate;  // holds the writer so the next calls pile up in one batch
    std::atomic<int> later_batches{0};
    std::atomic<std::size_t> second_batch_size{0};
    Harness h(GetParam(), [&](StoreOptions& o) {
      o.before_commit_for_testing = gate.Hook([&](std::size_t size) {
        if (++later_batches == 1) {
          second_batch_size = size;
          if (commit_fails) return UnavailableError("injected commit failure");
        }
        return Status::Ok();
      });
    });
    auto blocker = std::async(std::launch::async, [&] { return h.store().Accept(Acc("s:x")); });
    gate.WaitUntilHeld();
    auto first = std::async(std::launch::async, [&] { return h.store().Accept(Acc("s:k", 30s)); });
    auto second = std::async(std::launch::async, [&] { return h.store().Accept(Acc("s:k", 30s)); });
    // Both are queued behind the held batch: neither may have been answered.
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (h.store().Stats().pending_writes < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    ASSERT_EQ(h.store().Stats().pending_writes, 2u);
    EXPECT_EQ(first.wait_for(0s), std::future_status::timeout);
    EXPECT_EQ(second.wait_for(0s), std::future_status::timeout);
    gate.Release();
    ASSERT_TRUE(blocker.get().ok());
    auto a = first.get();
    auto b = second.get();
    EXPECT_EQ(second_batch_size.load(), 2u);
    if (commit_fails) {
      // The duplicate rested on the failed write: it fails with it, and nothing was stored.
      EXPECT_EQ(a.status().code(), StatusCode::kUnavailable);
      EXPECT_EQ(b.status().code(), StatusCode::kUnavailable);
      EXPECT_EQ(h.store().Get("s:k").status().code(), StatusCode::kNotFound);
      EXPECT_EQ(h.store().Accept(Acc("s:k", 30s))->kind, AcceptKind::kInserted);
    } else {
      ASSERT_TRUE(a.ok() && b.ok());
      std::multiset<AcceptKind> kinds{a->kind, b->kind};
      EXPECT_EQ(kinds, (std::multiset<AcceptKind>{AcceptKind::kInserted, AcceptKind::kDuplicate}));
      EXPECT_TRUE(h.store().Get("s:k").ok());
    }
  }
}

TEST_P(StoreConformanceTest, SweepDropsPayloadsKeepsTombstonesThenErases) {
  Harness h(GetParam(), [](StoreOptions& o) {
    o.retention = 1h;
    o.dead_retention = 2h;
    o.key_retention = 3h;
  });
  Store& s = h.store();
  auto sync = s.Begin(Beg("s:sync"));
  ASSERT_TRUE(s.Complete("s:sync", sync->fence, Done(1), Response{200, {}, "stored"}).ok());
  auto done = s.Accept(Acc("s:done", 10s));
  ASSERT_TRUE(s.Complete("s:done", done->fence, Done(1), std::nullopt).ok());
  auto dead = s.Accept(Acc("s:dead", 10s));
  ASSERT_TRUE(s.Fail(Dead("s:dead", dead->fence)).ok());
  ASSERT_EQ(s.Accept(Acc("s:pending"))->kind, AcceptKind::kQueued);
  ASSERT_EQ(s.Accept(Acc("s:leased", 100h))->kind, AcceptKind::kInserted);

  h.clock().Advance(1h - 1s);
  auto stats = s.Sweep();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->payloads_dropped, 0u);
  EXPECT_TRUE(MustGet(s, "s:done").payload.has_value());

  h.clock().Advance(1s);  // retention reached for the completed ones
  stats = s.Sweep();
  EXPECT_EQ(stats->payloads_dropped, 2u);
  EXPECT_EQ(stats->records_erased, 0u);
  Record tomb = MustGet(s, "s:done");
  EXPECT_TRUE(tomb.tombstone);
  EXPECT_FALSE(tomb.payload.has_value());
  EXPECT_EQ(tomb.fingerprint, Fingerprint(Body("s:done")));
  EXPECT_TRUE(MustGet(s, "s:dead").payload.has_value());  // dead_retention is longer
  // Tombstones still deduplicate; a swept response replays as "completed, no response".
  EXPECT_EQ(s.Accept(Acc("s:done", 10s))->kind, AcceptKind::kDuplicate);
  auto replayed = s.Begin(Beg("s:sync"));
  EXPECT_EQ(replayed->kind, BeginKind::kCompleted);
  EXPECT_FALSE(replayed->response.has_value());
  EXPECT_EQ(s.Replay("s:done").code(), StatusCode::kFailedPrecondition);

  h.clock().Advance(1h);  // dead_retention reached
  stats = s.Sweep();
  EXPECT_EQ(stats->payloads_dropped, 1u);
  EXPECT_TRUE(MustGet(s, "s:dead").tombstone);
  EXPECT_EQ(s.Replay("s:dead").code(), StatusCode::kFailedPrecondition);

  h.clock().Advance(1h);  // key_retention reached: tombstones go
  stats = s.Sweep();
  EXPECT_EQ(stats->records_erased, 3u);
  EXPECT_EQ(s.Get("s:done").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.Get("s:dead").status().code(), StatusCode::kNotFound);
  // A delivery of a key whose tombstone is gone is new.
  EXPECT_EQ(s.Accept(Acc("s:done", 10s))->kind, AcceptKind::kInserted);

  // Unfinished records are never swept, however old.
  h.clock().Advance(1000h);
  ASSERT_TRUE(s.Sweep().ok());
  EXPECT_TRUE(MustGet(s, "s:pending").payload.has_value());
  EXPECT_TRUE(MustGet(s, "s:leased").payload.has_value());
}

TEST_P(StoreConformanceTest, SweepWorksThroughMoreThanOneChunk) {
  Harness h(GetParam(), [](StoreOptions& o) {
    o.retention = 1h;
    o.key_retention = 2h;
  });
  constexpr int kRecords = 1200;
  for (int i = 0; i < kRecords; ++i) {
    std::string key = "s:e" + std::to_string(i);
    auto accepted = h.store().Accept(Acc(key, 10s));
    ASSERT_TRUE(h.store().Complete(key, accepted->fence, Done(1), std::nullopt).ok());
  }
  h.clock().Advance(1h);
  EXPECT_EQ(h.store().Sweep()->payloads_dropped, static_cast<std::uint64_t>(kRecords));
  h.clock().Advance(1h);
  EXPECT_EQ(h.store().Sweep()->records_erased, static_cast<std::uint64_t>(kRecords));
  EXPECT_TRUE(h.store().List(ListFilter{})->records.empty());
}

TEST_P(StoreConformanceTest, CountQueuesFollowsDispatcherDrivenRecordsThroughEveryState) {
  Harness h(GetParam());
  Store& s = h.store();
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=0");
  ASSERT_EQ(s.Accept(Acc("s:queued"))->kind, AcceptKind::kQueued);
  auto leased = s.Accept(Acc("s:leased", 100h));
  ASSERT_EQ(leased->kind, AcceptKind::kInserted);
  auto retry = s.Accept(Acc("s:retry", 10s));
  ASSERT_TRUE(s.Fail(Retry("s:retry", retry->fence, h.clock().Now() + 1min)).ok());
  auto dead = s.Accept(Acc("s:dead", 10s));
  ASSERT_TRUE(s.Fail(Dead("s:dead", dead->fence)).ok());
  auto done = s.Accept(Acc("s:done", 10s));
  ASSERT_TRUE(s.Complete("s:done", done->fence, Done(1), std::nullopt).ok());
  EXPECT_EQ(Counts(s), "due=1 scheduled=1 leased=1 dead=1");

  // A retry is scheduled until its due time, and due from then on.
  h.clock().Advance(1min - 1us);
  EXPECT_EQ(Counts(s), "due=1 scheduled=1 leased=1 dead=1");
  h.clock().Advance(1us);
  EXPECT_EQ(Counts(s), "due=2 scheduled=0 leased=1 dead=1");

  auto claims = s.ClaimDue(10, 10s);
  ASSERT_EQ(claims->size(), 2u);
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=3 dead=1");
  const Record& first = (*claims)[0].record;
  const Record& second = (*claims)[1].record;
  ASSERT_TRUE(s.Complete(first.key, first.fence, Done(first.fence), std::nullopt).ok());
  ASSERT_TRUE(s.Fail(Retry(second.key, second.fence, h.clock().Now() + 1min)).ok());
  EXPECT_EQ(Counts(s), "due=0 scheduled=1 leased=1 dead=1");
  ASSERT_TRUE(s.Release("s:leased", leased->fence).ok());
  EXPECT_EQ(Counts(s), "due=1 scheduled=1 leased=0 dead=1");
  ASSERT_TRUE(s.Replay("s:dead").ok());
  EXPECT_EQ(Counts(s), "due=2 scheduled=1 leased=0 dead=0");

  // A lapsed lease stays leased until a claim takes the record over.
  ASSERT_EQ(s.ClaimDue(10, 10s)->size(), 2u);
  h.clock().Advance(10s + h.options().max_clock_skew + 1s);
  EXPECT_EQ(Counts(s), "due=0 scheduled=1 leased=2 dead=0");

  // A purged dead letter is no longer counted.
  auto purged = s.Accept(Acc("s:purged", 10s));
  ASSERT_TRUE(s.Fail(Dead("s:purged", purged->fence)).ok());
  EXPECT_EQ(Counts(s), "due=0 scheduled=1 leased=2 dead=1");
  ASSERT_TRUE(s.Purge("s:purged").ok());
  EXPECT_EQ(Counts(s), "due=0 scheduled=1 leased=2 dead=0");
}

TEST_P(StoreConformanceTest, CountQueuesSplitsDueFromScheduledWhereverNowFalls) {
  Harness h(GetParam());
  Store& s = h.store();
  const Timestamp start = h.clock().Now();
  // 41 retries, two per second of due time: start, start, start + 1s, start + 1s, ..., start + 20s.
  constexpr int kRecords = 41;
  for (int i = 0; i < kRecords; ++i) {
    const std::string key = "s:e" + std::to_string(i);
    auto accepted = s.Accept(Acc(key, 10s));
    ASSERT_TRUE(s.Fail(Retry(key, accepted->fence, start + std::chrono::seconds(i / 2))).ok());
  }
  for (int second = 0; second <= 21; ++second) {
    h.clock().Set(start + std::chrono::seconds(second));
    const int due = std::min(2 * second + 2, kRecords);
    EXPECT_EQ(Counts(s), "due=" + std::to_string(due) +
                             " scheduled=" + std::to_string(kRecords - due) + " leased=0 dead=0")
        << "at start + " << second << "s";
  }
}

TEST_P(StoreConformanceTest, CountQueuesLeavesOutCallerDrivenRecords) {
  Harness h(GetParam());
  Store& s = h.store();
  ASSERT_EQ(s.Begin(Beg("s:held"))->kind, BeginKind::kAcquired);
  auto retried = s.Begin(Beg("s:retried"));
  ASSERT_TRUE(s.Fail(Retry("s:retried", retried->fence, h.clock().Now())).ok());
  auto later = s.Begin(Beg("s:later"));
  ASSERT_TRUE(s.Fail(Retry("s:later", later->fence, h.clock().Now() + 1h)).ok());
  auto done = s.Begin(Beg("s:done"));
  ASSERT_TRUE(s.Complete("s:done", done->fence, Done(1), std::nullopt).ok());
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=0");
  ASSERT_EQ(s.Begin(Beg("s:retried"))->kind, BeginKind::kAcquired);  // a caller's takeover
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=0");
  // A dispatcher-driven record beside them is counted.
  ASSERT_EQ(s.Accept(Acc("s:queued"))->kind, AcceptKind::kQueued);
  EXPECT_EQ(Counts(s), "due=1 scheduled=0 leased=0 dead=0");
}

TEST_P(StoreConformanceTest, CountQueuesLeavesOutDeadLettersSweptToTombstones) {
  Harness h(GetParam(), [](StoreOptions& o) {
    o.dead_retention = 1h;
    o.key_retention = 2h;
  });
  Store& s = h.store();
  auto old_dead = s.Accept(Acc("s:old", 10s));
  ASSERT_TRUE(s.Fail(Dead("s:old", old_dead->fence)).ok());
  h.clock().Advance(30min);
  auto new_dead = s.Accept(Acc("s:new", 10s));
  ASSERT_TRUE(s.Fail(Dead("s:new", new_dead->fence)).ok());
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=2");

  // Past dead_retention a dead letter still counts until Sweep makes it a tombstone.
  h.clock().Advance(30min);
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=2");
  ASSERT_EQ(s.Sweep()->payloads_dropped, 1u);
  Record tomb = MustGet(s, "s:old");
  ASSERT_EQ(tomb.state, State::kDead);
  ASSERT_TRUE(tomb.tombstone);
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=1");
  h.clock().Advance(30min);
  ASSERT_EQ(s.Sweep()->payloads_dropped, 1u);
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=0");
  h.clock().Advance(1h);
  ASSERT_EQ(s.Sweep()->records_erased, 2u);
  EXPECT_EQ(Counts(s), "due=0 scheduled=0 leased=0 dead=0");
}

TEST_P(StoreConformanceTest, PurgeErasesEverythingOfOneKey) {
  Harness h(GetParam());
  auto accepted = h.store().Accept(Acc("s:e", 10s, "grp"));
  ASSERT_EQ(h.store().Accept(Acc("s:f", 10s, "grp"))->kind, AcceptKind::kQueued);
  ASSERT_TRUE(h.store().Purge("s:e").ok());
  EXPECT_EQ(h.store().Get("s:e").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store().Complete("s:e", accepted->fence, Done(1), std::nullopt).code(),
            StatusCode::kNotFound);
  // The purged record no longer blocks its ordering group.
  EXPECT_EQ(ClaimedKeys(*h.store().ClaimDue(10, 10s)), std::set<std::string>{"s:f"});
  // After a purge the key is new again.
  EXPECT_EQ(h.store().Accept(Acc("s:e", 10s))->kind, AcceptKind::kInserted);
  EXPECT_EQ(h.store().Purge("s:e").code(), StatusCode::kOk);
  EXPECT_EQ(h.store().Purge("s:e").code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, FullAtCapacityEvictsNothing) {
  Harness h(GetParam(), [](StoreOptions& o) {
    o.capacity = 3;
    o.retention = 1h;
    o.key_retention = 1h;
  });
  auto done = h.store().Accept(Acc("s:done", 10s));
  ASSERT_TRUE(h.store().Complete("s:done", done->fence, Done(1), std::nullopt).ok());
  ASSERT_EQ(h.store().Accept(Acc("s:pending"))->kind, AcceptKind::kQueued);
  ASSERT_EQ(h.store().Begin(Beg("s:held"))->kind, BeginKind::kAcquired);

  EXPECT_EQ(h.store().Accept(Acc("s:new", 10s))->kind, AcceptKind::kFull);
  EXPECT_EQ(h.store().Begin(Beg("s:new"))->kind, BeginKind::kFull);
  EXPECT_EQ(h.store().Get("s:new").status().code(), StatusCode::kNotFound);
  // Known keys are still answered at capacity.
  EXPECT_EQ(h.store().Accept(Acc("s:pending"))->kind, AcceptKind::kDuplicate);
  for (const char* key : {"s:done", "s:pending", "s:held"}) {
    EXPECT_TRUE(h.store().Get(key).ok()) << key << " was evicted";
  }
  // Retention frees room (only the finished record goes).
  h.clock().Advance(1h);
  EXPECT_EQ(h.store().Sweep()->records_erased, 1u);
  EXPECT_EQ(h.store().Accept(Acc("s:new", 10s))->kind, AcceptKind::kInserted);
  EXPECT_EQ(h.store().Accept(Acc("s:new2", 10s))->kind, AcceptKind::kFull);
  ASSERT_TRUE(h.store().Purge("s:pending").ok());
  EXPECT_EQ(h.store().Accept(Acc("s:new2", 10s))->kind, AcceptKind::kInserted);
}

TEST_P(StoreConformanceTest, ListFiltersAndPagesByCursor) {
  Harness h(GetParam());
  for (int i = 0; i < 25; ++i) {
    std::string source = i % 2 == 0 ? "stripe" : "github";
    ASSERT_TRUE(h.store().Accept(Acc(source + ":e" + std::to_string(i))).ok());
    h.clock().Advance(1s);
  }
  const Timestamp start = h.clock().Now() - 25s;
  auto done = h.store().ClaimDue(1, 10s);
  ASSERT_TRUE(h.store()
                  .Complete((*done)[0].record.key, (*done)[0].record.fence, Done(1), std::nullopt)
                  .ok());

  ListFilter filter;
  filter.limit = 10;
  std::vector<std::string> keys;
  for (int page_no = 0;; ++page_no) {
    auto page = h.store().List(filter);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page_no, 3);
    for (const Record& r : page->records) {
      keys.push_back(r.key);
      EXPECT_FALSE(r.payload.has_value());  // listings leave payloads out
    }
    if (page->next_cursor.empty()) break;
    filter.cursor = page->next_cursor;
  }
  ASSERT_EQ(keys.size(), 25u);
  EXPECT_EQ(keys.front(), "stripe:e0");
  EXPECT_EQ(keys.back(), "stripe:e24");

  ListFilter by_source;
  by_source.source = "github";
  EXPECT_EQ(h.store().List(by_source)->records.size(), 12u);
  ListFilter by_state;
  by_state.state = State::kCompleted;
  auto completed = h.store().List(by_state);
  ASSERT_EQ(completed->records.size(), 1u);
  EXPECT_EQ(completed->records[0].key, "stripe:e0");
  ListFilter by_time;
  by_time.since = start + 5s;
  by_time.until = start + 10s;
  EXPECT_EQ(h.store().List(by_time)->records.size(), 5u);

  ListFilter bad;
  bad.cursor = "not-a-cursor";
  EXPECT_EQ(h.store().List(bad).status().code(), StatusCode::kInvalidArgument);
  bad = ListFilter{};
  bad.limit = 0;
  EXPECT_EQ(h.store().List(bad).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hookfence::testing
