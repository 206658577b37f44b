// ConnectionPool: a bounded set of client connections to one database server, shared by the
// threads of a shared-store backend (PostgreSQL, Redis, MySQL).
//
// Acquire hands out an idle connection, opens a new one while fewer than `max_size` exist, or
// waits for one to come back. A connection that failed mid-call must be Discard()ed: it is closed
// and never handed out again, so a broken socket cannot poison later calls; the next Acquire opens
// a fresh one (that is how a backend reconnects after the server comes back).
// Thread-safety: Acquire may be called from any number of threads; a Lease belongs to one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "hookfence/result.h"

namespace hookfence::store::internal {

template <typename Connection>
class ConnectionPool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Connection>>()>;

  // `open` makes a new connection (kUnavailable when the server cannot be reached).
  ConnectionPool(Factory open, std::size_t max_size)
      : open_(std::move(open)), max_size_(max_size == 0 ? 1 : max_size) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // One connection, back to the pool when the Lease is destroyed (unless discarded).
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->Return(std::move(connection_));
    }
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }
    // Closes the connection instead of returning it: its state is unknown after an error.
    void Discard() {
      if (pool_ == nullptr) return;
      connection_.reset();
      pool_->Return(nullptr);
      pool_ = nullptr;
    }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // An idle or new connection; waits while max_size connections are out. The error of `open`
  // when a new connection was needed and could not be made.
  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    returned_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_size_; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_count_;  // reserved while opening, outside the lock
    lock.unlock();
    Result<std::unique_ptr<Connection>> opened = open_();
    if (!opened.ok()) {
      Return(nullptr);
      return opened.status();
    }
    return Lease(this, std::move(*opened));
  }

  // Closes every idle connection (e.g. after the server restarted, so none is reused stale).
  void DropIdle() {
    std::vector<std::unique_ptr<Connection>> dropped;
    {
      std::lock_guard lock(mu_);
      dropped.swap(idle_);
      open_count_ -= dropped.size();
    }
    returned_.notify_all();
  }

  std::size_t max_size() const { return max_size_; }

 private:
  void Return(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mu_);
      if (connection) {
        idle_.push_back(std::move(connection));
      } else {
        --open_count_;
      }
    }
    returned_.notify_one();
  }

  const Factory open_;
  const std::size_t max_size_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_count_ = 0;  // idle + handed out + being opened
};

}  // namespace hookfence::store::internal
