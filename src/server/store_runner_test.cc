#include "src/server/store_runner.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "hookfence/fingerprint.h"
#include "src/server/owner_calls.h"
#include "testing/commit_gate.h"
#include "testing/scratch_dir.h"
#include "testing/simulated_clock.h"

namespace hookfence::server {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A latch the test opens; waiting on it gives up after a deadline so a broken runner fails the
// test instead of hanging it.
class Latch {
 public:
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // True once opened; false when `timeout` passed first.
  bool Wait(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

std::function<bool(Store&)> BlockOn(Latch* latch) {
  return [latch](Store&) { return latch->Wait(10s); };
}

// Holds a store thread until `latch` opens; `*released` says whether it opened in time.
asio::awaitable<void> HoldAStoreThread(StoreRunner& runner, Latch* latch,
                                       std::optional<bool>* released) {
  auto answer = co_await runner.Run<bool>(BlockOn(latch));
  *released = answer.value_or(false);
}

AcceptRequest LeasedAccept(const std::string& key) {
  AcceptRequest request;
  request.key = key;
  request.payload.body = R"({"id":")" + key + R"("})";
  request.fingerprint = Fingerprint(request.payload.body);
  request.lease = 30s;
  return request;
}

// What one owner's round trip saw.
struct RoundTrip {
  std::optional<StoreRunner::Accepted> accepted;
  std::optional<Status> stale;      // Complete with a fence that was never handed out
  std::optional<Status> completed;  // Complete with the real fence
  std::optional<Status> released;   // Release after Complete: no longer the owner
  bool resumed_on_caller = true;    // every co_await came back on the io_context's thread
};

// The owner's writes of one round trip. Built outside the coroutine: GCC 12 mis-handles
// temporaries that live across a co_await.
struct OwnerWrites {
  StoreRunner::QueuedWrite stale, complete, release;
};
OwnerWrites WritesFor(const std::string& key, std::uint64_t fence) {
  return {CompleteCall(key, fence + 5, Attempt{}, std::nullopt),
          CompleteCall(key, fence, Attempt{}, std::nullopt), ReleaseCall(key, fence)};
}

// Accept, then the owner's writes, then opens `latch`: all while the held store thread waits.
asio::awaitable<void> AcceptAndComplete(StoreRunner& runner, std::string key, Latch* latch,
                                        RoundTrip* trip) {
  const auto caller = std::this_thread::get_id();
  AcceptRequest request = LeasedAccept(key);
  trip->accepted = co_await runner.Accept(std::move(request));
  trip->resumed_on_caller &= std::this_thread::get_id() == caller;
  if (trip->accepted && trip->accepted->outcome.ok()) {
    OwnerWrites writes = WritesFor(key, trip->accepted->outcome->fence);
    trip->stale = co_await runner.Write(std::move(writes.stale));
    trip->completed = co_await runner.Write(std::move(writes.complete));
    trip->released = co_await runner.Write(std::move(writes.release));
    trip->resumed_on_caller &= std::this_thread::get_id() == caller;
  }
  latch->Open();
}

class StoreRunnerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(const std::string& url) {
    StoreOptions options;
    options.clock = &clock_;
    auto store = OpenStore(url, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // Runs `first` and then `second` on the test's thread until both have finished.
  void RunBoth(asio::awaitable<void> first, asio::awaitable<void> second) {
    auto rethrow = [](std::exception_ptr error) {
      if (error) std::rethrow_exception(error);
    };
    asio::co_spawn(context_, std::move(first), rethrow);
    asio::co_spawn(context_, std::move(second), rethrow);
    context_.run();
  }

  testing::ScratchDir dir_;
  testing::SimulatedClock clock_;
  asio::io_context context_;
};

TEST_F(StoreRunnerTest, QueuedWritesNeedNoStoreThread) {
  auto store = Open("sqlite://" + dir_.File("runner.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->queues_writes());
  // One store thread, held busy: accepts and owner writes still go through, because a store that
  // queues its writes is called from the caller's thread.
  StoreRunner runner(store.get(), /*threads=*/1, /*max_pending=*/0);
  Latch latch;
  std::optional<bool> released;
  RoundTrip trip;
  RunBoth(HoldAStoreThread(runner, &latch, &released),
          AcceptAndComplete(runner, "s:queued", &latch, &trip));
  ASSERT_TRUE(released.has_value());
  EXPECT_TRUE(*released) << "the writes waited for the held store thread";
  ASSERT_TRUE(trip.accepted.has_value());
  ASSERT_TRUE(trip.accepted->outcome.ok()) << trip.accepted->outcome.status();
  EXPECT_EQ(trip.accepted->outcome->kind, AcceptOutcome::Kind::kInserted);
  EXPECT_EQ(trip.accepted->payload.body, R"({"id":"s:queued"})") << "the payload comes back";
  ASSERT_TRUE(trip.stale && trip.completed && trip.released);
  EXPECT_EQ(trip.stale->code(), StatusCode::kAborted);
  EXPECT_TRUE(trip.completed->ok()) << *trip.completed;
  EXPECT_EQ(trip.released->code(), StatusCode::kAborted);
  EXPECT_TRUE(trip.resumed_on_caller);
  runner.Join();  // a call's count drops only after its answer is posted
  EXPECT_EQ(runner.pending(), 0u);
  EXPECT_EQ(store->Get("s:queued")->state, State::kCompleted);
}

TEST_F(StoreRunnerTest, BlockingStoresRunOnTheStoreThreads) {
  auto store = Open("memory://");
  ASSERT_TRUE(store);
  ASSERT_FALSE(store->queues_writes());
  // Two store threads: one held, the other runs the writes the memory store does in place.
  StoreRunner runner(store.get(), /*threads=*/2, /*max_pending=*/0);
  Latch latch;
  std::optional<bool> released;
  RoundTrip trip;
  RunBoth(HoldAStoreThread(runner, &latch, &released),
          AcceptAndComplete(runner, "s:blocking", &latch, &trip));
  EXPECT_EQ(released, std::optional<bool>(true));
  ASSERT_TRUE(trip.accepted && trip.accepted->outcome.ok());
  EXPECT_EQ(trip.accepted->payload.body, R"({"id":"s:blocking"})");
  ASSERT_TRUE(trip.stale && trip.completed && trip.released);
  EXPECT_EQ(trip.stale->code(), StatusCode::kAborted);
  EXPECT_TRUE(trip.completed->ok()) << *trip.completed;
  EXPECT_TRUE(trip.resumed_on_caller);
  runner.Join();  // a call's count drops only after its answer is posted
  EXPECT_EQ(runner.pending(), 0u);
  EXPECT_EQ(store->Get("s:blocking")->state, State::kCompleted);
}

// Past the bound, Accept and Write answer nullopt at once, whichever way the store runs them.
asio::awaitable<void> RefusedPastTheBound(StoreRunner& runner, Latch* latch,
                                          std::optional<bool>* accept_refused,
                                          std::optional<bool>* write_refused) {
  AcceptRequest request = LeasedAccept("s:refused");
  auto accepted = co_await runner.Accept(std::move(request));
  *accept_refused = !accepted.has_value();
  OwnerWrites writes = WritesFor("s:refused", 1);
  auto written = co_await runner.Write(std::move(writes.release));
  *write_refused = !written.has_value();
  latch->Open();
}

TEST_F(StoreRunnerTest, PastTheBoundCallsAreRefusedAtOnce) {
  auto store = Open("sqlite://" + dir_.File("bound.db"));
  ASSERT_TRUE(store);
  StoreRunner runner(store.get(), /*threads=*/1, /*max_pending=*/1);
  Latch latch;
  std::optional<bool> released, accept_refused, write_refused;
  RunBoth(HoldAStoreThread(runner, &latch, &released),
          RefusedPastTheBound(runner, &latch, &accept_refused, &write_refused));
  EXPECT_EQ(released, std::optional<bool>(true));
  EXPECT_EQ(accept_refused, std::optional<bool>(true));
  EXPECT_EQ(write_refused, std::optional<bool>(true));
  EXPECT_EQ(store->Get("s:refused").status().code(), StatusCode::kNotFound);
  runner.Join();  // a call's count drops only after its answer is posted
  EXPECT_EQ(runner.pending(), 0u);
}

// Queues one accept and records that it was answered.
asio::awaitable<void> AcceptOnce(StoreRunner& runner, std::string key, bool* answered) {
  AcceptRequest request = LeasedAccept(key);
  auto accepted = co_await runner.Accept(std::move(request));
  *answered = accepted.has_value() && accepted->outcome.ok();
}

TEST_F(StoreRunnerTest, JoinWaitsForWritesTheStoreStillHolds) {
  testing::CommitGate gate;
  StoreOptions options;
  options.clock = &clock_;
  options.before_commit_for_testing = gate.Hook();
  auto store = OpenStore("sqlite://" + dir_.File("join.db"), options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::thread in_commit([&] { EXPECT_TRUE((*store)->Accept(LeasedAccept("s:held")).ok()); });
  gate.WaitUntilHeld();
  auto runner = std::make_unique<StoreRunner>(store->get(), /*threads=*/1, /*max_pending=*/0);
  bool answered = false;
  asio::co_spawn(context_, AcceptOnce(*runner, "s:queued", &answered), asio::detached);
  context_.poll();  // runs the coroutine up to its co_await: the accept is queued, unanswered
  ASSERT_EQ(runner->pending(), 1u);
  std::thread releaser([&] { gate.Release(); });
  // The writer still holds the accept: Join must wait for its answer, and the runner can then
  // go while the answer's handler waits in the io_context.
  runner->Join();
  EXPECT_EQ(runner->pending(), 0u) << "Join returned before the store answered";
  runner.reset();
  releaser.join();
  in_commit.join();
  context_.run();
  EXPECT_TRUE(answered);
  EXPECT_TRUE((*store)->Get("s:queued").ok());
}

}  // namespace
}  // namespace hookfence::server
