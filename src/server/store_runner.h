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
  // Calls waiting for or running on a store thread now.
  std::uint64_t pending() const { return calls_->count.load(); }

  // Runs `call` on a store thread and resumes the caller on its own executor with the result.
  // nullopt, at once, when the bound of waiting calls is reached.
  template <typename T>
  boost::asio::awaitable<std::optional<T>> Run(std::function<T(Store&)> call) {
    if (!Admit()) co_return std::nullopt;
    auto executor = co_await boost::asio::this_coro::executor;
    std::shared_ptr<T> result = co_await Submit<T>(std::move(call), executor);
    co_return std::move(*result);
  }

  // What Accept answered, and the request's payload handed back (no copy on the hot path).
  struct Accepted {
    Result<AcceptOutcome> outcome;
    Payload payload;
  };
  // Store::AcceptAsync, resumed on the caller's executor; nullopt at once past the bound, as Run.
  boost::asio::awaitable<std::optional<Accepted>> Accept(AcceptRequest request) {
    return RunQueued<Accepted>(AcceptCall(std::move(request)));
  }

  // Starts a write through one of the store's *Async calls, which answers through the callback.
  using QueuedWrite = std::function<void(Store&, Store::WriteCallback)>;
  // Runs `write` and resumes the caller on its own executor with its status; nullopt at once past
  // the bound, as Run.
  boost::asio::awaitable<std::optional<Status>> Write(QueuedWrite write) {
    return RunQueued<Status>(std::move(write));
  }

 private:
  // A store that queues its writes (SQLite's group commit) is called right on the caller's thread:
  // queuing is not store work, and no store thread has to sit through the commit. Others run on a
  // store thread.
  template <typename T>
  boost::asio::awaitable<std::optional<T>> RunQueued(
      std::function<void(Store&, std::function<void(T)>)> start) {
    if (!Admit()) co_return std::nullopt;
    auto executor = co_await boost::asio::this_coro::executor;
    std::shared_ptr<T> answer = co_await SubmitQueued<T>(std::move(start), executor);
    co_return std::move(*answer);
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

  // Plain functions, not coroutines: GCC 12 mis-handles lambda captures created inside
  // coroutine bodies.
  template <typename T>
  boost::asio::awaitable<std::shared_ptr<T>> SubmitQueued(
      std::function<void(Store&, std::function<void(T)>)> start,
      boost::asio::any_io_executor executor) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       void(std::shared_ptr<T>)>(
        [this, executor, start = std::move(start)](auto handler) mutable {
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
          if (store_->queues_writes()) {
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

  // Hands `call` to a store thread; the result is posted back to `executor`.
  template <typename T>
  boost::asio::awaitable<std::shared_ptr<T>> Submit(std::function<T(Store&)> call,
                                                    boost::asio::any_io_executor executor) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       void(std::shared_ptr<T>)>(
        [this, executor, call = std::move(call)](auto handler) mutable {
          boost::asio::post(pool_, [this, executor, call = std::move(call),
                                    handler = std::move(handler)]() mutable {
            auto value = std::make_shared<T>(call(*store_));
            boost::asio::post(executor, [value, handler = std::move(handler)]() mutable {
              std::move(handler)(value);
            });
            calls_->Answered();
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
