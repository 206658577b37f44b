// WriteQueue: the group-commit queue every batched backend (SQLite, PostgreSQL, MySQL, Redis)
// puts its writes through.
//
// Callers Push an operation and wait on its own answer (a future the operation carries). One
// writer thread takes everything queued since its last batch (up to StoreOptions::max_batch) and
// hands it to the backend's `run`, which commits the batch in one transaction (or pipeline) and
// answers every operation in it. So a batch grows with the load, with no timer and no sleep.
// Push fails fast with kResourceExhausted ("overloaded") past StoreOptions::max_pending_writes and
// with kUnavailable once the queue is stopping. Stats() are the StoreStats of the batches.
// Thread-safety: Push and Stats from any thread; `run` runs on the writer thread only. The owner
// calls Start once it is fully built and Stop before it destroys what `run` uses.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "hookfence/store.h"

namespace hookfence::store::internal {

// One queued write of a transactional backend (SQLite, MySQL): run inside the batch's
// transaction `Txn`, answered once the fate of the whole batch is known.
template <typename Txn>
class TransactionalWriteOp {
 public:
  // `key` orders the locks of a batch where the backend needs it; may be empty.
  explicit TransactionalWriteOp(std::string key) : key_(std::move(key)) {}
  virtual ~TransactionalWriteOp() = default;
  const std::string& key() const { return key_; }
  // Runs the operation in `txn`; may run again (in a new transaction) after a lock conflict.
  virtual void Run(Txn& txn) = 0;
  // Answers the caller once the batch's fate (`commit`) is known.
  virtual void Finish(const Status& commit) = 0;

 private:
  std::string key_;
};

// The operation `fn` with a result of type T, which the caller awaits through Answer() or, when
// constructed with `done`, receives through that callback on the writer thread.
template <typename Txn, typename T>
class TypedTransactionalWriteOp final : public TransactionalWriteOp<Txn> {
 public:
  TypedTransactionalWriteOp(std::string key, std::function<Result<T>(Txn&)> fn,
                            std::function<void(Result<T>)> done = nullptr)
      : TransactionalWriteOp<Txn>(std::move(key)), fn_(std::move(fn)), done_(std::move(done)) {}
  void Run(Txn& txn) override { result_.emplace(fn_(txn)); }
  // A failed commit fails the call whatever it computed: nothing it reported happened.
  void Finish(const Status& commit) override {
    Result<T> answer = !commit.ok() ? Result<T>(commit)
                       : !result_   ? Result<T>(InternalError("write operation was not run"))
                                    : std::move(*result_);
    if (done_) {
      done_(std::move(answer));
    } else {
      promise_.set_value(std::move(answer));
    }
  }
  std::future<Result<T>> Answer() { return promise_.get_future(); }

 private:
  std::function<Result<T>(Txn&)> fn_;
  std::function<void(Result<T>)> done_;
  std::optional<Result<T>> result_;
  std::promise<Result<T>> promise_;
};

template <typename Op>
class WriteQueue {
 public:
  using Batch = std::vector<std::unique_ptr<Op>>;

  // `run` commits a batch and answers each of its operations.
  WriteQueue(std::size_t max_batch, std::size_t max_pending, std::function<void(Batch&)> run)
      : max_batch_(std::max<std::size_t>(1, max_batch)),
        max_pending_(max_pending),
        run_(std::move(run)) {}
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;
  ~WriteQueue() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  // Refuses new operations, lets the writer answer every queued one, and joins it. Idempotent.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Queues `op` for the writer; the caller then waits on the answer `op` carries.
  Status Push(std::unique_ptr<Op> op) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return UnavailableError("store is closing");
      if (max_pending_ != 0 && queue_.size() >= max_pending_) {
        return ResourceExhaustedError("store write queue is full (overloaded)");
      }
      queue_.push_back(std::move(op));
    }
    cv_.notify_one();
    return Status::Ok();
  }

  StoreStats Stats() const {
    std::lock_guard lock(mu_);
    StoreStats stats = stats_;
    stats.pending_writes = queue_.size();
    return stats;
  }

 private:
  void Loop() {
    for (;;) {
      Batch batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and every queued call has been answered
        const std::size_t n = std::min(queue_.size(), max_batch_);
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      // Counted before the answers go out, so a caller that got its answer sees its batch.
      {
        std::lock_guard lock(mu_);
        ++stats_.batches;
        stats_.batched_operations += batch.size();
        const auto& bounds = StoreStats::kBatchSizeBounds;
        const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), batch.size());
        ++stats_.batch_sizes[static_cast<std::size_t>(bucket - bounds.begin())];
      }
      run_(batch);
    }
  }

  const std::size_t max_batch_;
  const std::size_t max_pending_;
  const std::function<void(Batch&)> run_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Op>> queue_;
  bool stopping_ = false;
  StoreStats stats_;
  std::thread thread_;
};

}  // namespace hookfence::store::internal
