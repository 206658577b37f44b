// StoreRunner: runs blocking store calls on a pool of its own threads so that I/O threads never
// block on the store, and bounds how many calls may wait (past the bound, the gateway answers
// 429 overloaded instead of letting latency climb).
//
// Many threads matter for the SQLite store: each caller blocks until its group commit is durable,
// so the batch can only grow as large as the number of callers waiting together.
// Thread-safety: Run may be called from any coroutine on any executor, concurrently.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "hookfence/store.h"

namespace hookfence::server {

class StoreRunner {
 public:
  // `store` is not owned and must outlive the runner.
  StoreRunner(Store* store, std::size_t threads, std::uint64_t max_pending)
      : store_(store), pool_(threads), max_pending_(max_pending == 0 ? UINT64_MAX : max_pending) {}
  ~StoreRunner() { Join(); }

  // Waits until every call handed to the store has returned (shutdown, before the store goes).
  void Join() { pool_.join(); }

  Store& store() { return *store_; }
  // Calls waiting for or running on a store thread now.
  std::uint64_t pending() const { return pending_.load(); }

  // Runs `call` on a store thread and resumes the caller on its own executor with the result.
  // nullopt, at once, when the bound of waiting calls is reached.
  template <typename T>
  boost::asio::awaitable<std::optional<T>> Run(std::function<T(Store&)> call) {
    if (pending_.fetch_add(1) >= max_pending_) {
      pending_.fetch_sub(1);
      co_return std::nullopt;
    }
    auto executor = co_await boost::asio::this_coro::executor;
    std::shared_ptr<T> result = co_await Submit<T>(std::move(call), executor);
    co_return std::move(*result);
  }

 private:
  // Hands `call` to a store thread; the result is posted back to `executor`. A plain function,
  // not a coroutine: GCC 12 mis-handles lambda captures created inside coroutine bodies.
  template <typename T>
  boost::asio::awaitable<std::shared_ptr<T>> Submit(std::function<T(Store&)> call,
                                                    boost::asio::any_io_executor executor) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       void(std::shared_ptr<T>)>(
        [this, executor, call = std::move(call)](auto handler) mutable {
          boost::asio::post(pool_, [this, executor, call = std::move(call),
                                    handler = std::move(handler)]() mutable {
            auto value = std::make_shared<T>(call(*store_));
            pending_.fetch_sub(1);
            boost::asio::post(executor, [value, handler = std::move(handler)]() mutable {
              std::move(handler)(value);
            });
          });
        },
        boost::asio::use_awaitable);
  }

  Store* store_;
  boost::asio::thread_pool pool_;
  const std::uint64_t max_pending_;
  std::atomic<std::uint64_t> pending_{0};
};

}  // namespace hookfence::server
