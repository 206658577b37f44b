// StoreRunner: runs blocking store calls on a pool of its own threads so that I/O threads never
// block on the store, and bounds how many calls may wait (past the bound, the gateway answers
// 429 overloaded instead of letting latency climb).
//
// Many threads matter for blocking calls on the SQLite store: each caller blocks until its group
// commit is durable, so the batch can only grow as large as the number of callers waiting
// together. The hot writes (Accept, and an owner's Complete, Fail and Release) skip the threads
// when the store queues them itself (Store::queues_writes).
// Thread-safety: Run, Accept and Write may be called from any coroutine on any executor,
// concurrently.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "hookfence/store.h"

namespace hookfence::server {

class StoreRunner {
 public:
  // `store` is not owned and must outlive the runner.
  StoreRunner(Store* store, std::size_t threads, std::uint64_t max_pending)
      : store_(store), pool_(threads), max_pending_(max_pending == 0 ? UINT64_MAX : max_pending) {}
  ~StoreRunner() { Join(); }

  // Waits until every call handed to the store has been answered, on a store thread or by the
  // store's own writer (shutdown, before the store goes).
  void Join() {
    pool_.join();
    calls_->WaitIdle();
  }

  Store& store() { return *store_; }
  // Calls admitted and not yet answered: waiting for or running on a store thread, or queued in
  // the store's own writer.
  std::uint64_t pending() const { return calls_->count.load(); }

  // Runs `call` on a store thread and resumes the caller on its own executor with the result.
  // nullopt, at once, when the bound of waiting calls is reached.
  template <typename T>
  boost::asio::awaitable<std::optional<T>> Run(std::function<T(Store&)> call) {
    return Submit<T>(Blocking<T>(std::move(call)), /*direct=*/false);
  }

  // What Accept answered, and the request's payload handed back (no copy on the hot path).
  struct Accepted {
    Result<AcceptOutcome> outcome;
    Payload payload;
  };
  // Store::AcceptAsync, resumed on the caller's executor; nullopt at once past the bound, as Run.
  boost::asio::awaitable<std::optional<Accepted>> Accept(AcceptRequest request) {
    return Submit<Accepted>(AcceptCall(std::move(request)), store_->queues_writes());
  }

  // Starts a write through one of the store's *Async calls, which answers through the callback.
  using QueuedWrite = std::function<void(Store&, Store::WriteCallback)>;
  // Runs `write` and resumes the caller on its own executor with its status; nullopt at once past
  // the bound, as Run.
  boost::asio::awaitable<std::optional<Status>> Write(QueuedWrite write) {
    return Submit<Status>(std::move(write), store_->queues_writes());
  }

 private:
  // Starts a store call that answers through the callback it is given.
  template <typename T>
  using Start = std::function<void(Store&, std::function<void(T)>)>;

  // Hands `start` to the store and resumes the caller on its own executor with the answer;
  // nullopt at once past the bound. `direct`: call it right on the caller's thread, for a store
  // that only queues the call (SQLite's group commit): queuing is not store work, and no store
  // thread has to sit through the commit. Otherwise it runs on a store thread.
  template <typename T>
  boost::asio::awaitable<std::optional<T>> Submit(Start<T> start, bool direct) {
    if (!Admit()) co_return std::nullopt;
    auto executor = co_await boost::asio::this_coro::executor;
    std::shared_ptr<T> answer = co_await Hand<T>(std::move(start), direct, executor);
    co_return std::move(*answer);
  }

  template <typename T>
  static Start<T> Blocking(std::function<T(Store&)> call) {
    return
        [call = std::move(call)](Store& store, std::function<void(T)> done) { done(call(store)); };
  }

  static std::function<void(Store&, std::function<void(Accepted)>)> AcceptCall(
      AcceptRequest request) {
    return [request = std::move(request)](Store& store,
                                          std::function<void(Accepted)> done) mutable {
      store.AcceptAsync(std::move(request), [done](Result<AcceptOutcome> outcome, Payload payload) {
        done(Accepted{std::move(outcome), std::move(payload)});
      });
    };
  }

  bool Admit() {
    if (calls_->count.fetch_add(1) >= max_pending_) {
      calls_->Answered();
      return false;
    }
    return true;
  }

  // A plain function, not a coroutine: GCC 12 mis-handles lambda captures created inside
  // coroutine bodies.
  template <typename T>
  boost::asio::awaitable<std::shared_ptr<T>> Hand(Start<T> start, bool direct,
                                                  boost::asio::any_io_executor executor) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       void(std::shared_ptr<T>)>(
        [this, executor, direct, start = std::move(start)](auto handler) mutable {
          // The store's callbacks are std::functions, which need a copyable target.
          auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
          // A store's writer may answer after the runner is gone (a write still queued at
          // shutdown): the answer holds the call count, not the runner.
          std::function<void(T)> done = [calls = calls_, executor, shared_handler](T answer) {
            auto value = std::make_shared<T>(std::move(answer));
            boost::asio::post(executor, [value, shared_handler]() mutable {
              std::move (*shared_handler)(value);
            });
            calls->Answered();
          };
          if (direct) {
            start(*store_, std::move(done));
            return;
          }
          boost::asio::post(pool_,
                            [this, start = std::move(start), done = std::move(done)]() mutable {
                              start(*store_, std::move(done));
                            });
        },
        boost::asio::use_awaitable);
  }

  // The calls admitted and not yet answered.
  struct Calls {
    std::atomic<std::uint64_t> count{0};
    std::mutex mu;
    std::condition_variable idle;
    void Answered() {
      if (count.fetch_sub(1) == 1) {
        // Under the lock: WaitIdle checks the count and starts waiting with it held, so this
        // cannot fall between the two.
        std::lock_guard lock(mu);
        idle.notify_all();
      }
    }
    void WaitIdle() {
      std::unique_lock lock(mu);
      idle.wait(lock, [this] { return count.load() == 0; });
    }
  };

  Store* store_;
  boost::asio::thread_pool pool_;
  const std::uint64_t max_pending_;
  const std::shared_ptr<Calls> calls_ = std::make_shared<Calls>();
};

}  // namespace hookfence::server
