// FaultInjectingStore: wraps any Store and makes it fail or stall on demand (like leveldb's
// EnvWrapper), so tests can show what callers do when the store is down or slow.
//
// While "down", every operation returns kUnavailable without reaching the wrapped store. A
// one-shot failure makes only the next matching operation fail. A stall blocks operations until
// Resume() is called. Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "hookfence/store.h"

namespace hookfence::testing {

class FaultInjectingStore final : public Store {
 public:
  // `target` is not owned and must outlive this wrapper.
  explicit FaultInjectingStore(Store* target) : target_(target) {}

  // Every operation fails with kUnavailable until SetDown(false).
  void SetDown(bool down) { down_.store(down); }
  // The next `count` operations fail with `status` (then the store works again).
  void FailNext(int count, Status status);
  // Operations block (before reaching the store) until Resume().
  void Stall();
  void Resume();
  // How many operations are blocked in a stall right now.
  int stalled() const { return stalled_.load(); }
  // How many operations reached the wrapped store.
  long long calls() const { return calls_.load(); }

  StoreStats Stats() const override { return target_->Stats(); }
  Result<AcceptOutcome> Accept(AcceptRequest request) override;
  Result<BeginOutcome> Begin(BeginRequest request) override;
  Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) override;
  Status Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                  std::optional<Response> response) override;
  Status Fail(FailRequest request) override;
  Result<Timestamp> Renew(std::string_view key, std::uint64_t fence, Duration lease) override;
  Status Release(std::string_view key, std::uint64_t fence) override;
  Result<Record> Get(std::string_view key) override;
  Result<ListPage> List(const ListFilter& filter) override;
  Result<SweepStats> Sweep() override;
  Result<QueueCounts> CountQueues() override;
  Status Replay(std::string_view key) override;
  Status Purge(std::string_view key) override;

 private:
  // Waits out a stall, then returns the injected failure for this call, if any.
  Status Intercept();

  Store* target_;
  std::atomic<bool> down_{false};
  std::atomic<int> stalled_{0};
  std::atomic<long long> calls_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalling_ = false;
  int fail_count_ = 0;
  Status fail_status_;
};

}  // namespace hookfence::testing
