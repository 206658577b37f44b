// CommitGate: holds a batched store's writer inside one commit (through
// StoreOptions::before_commit_for_testing) until Release() (at most kMaxHold), so that calls made
// meanwhile queue up behind it and can be seen waiting, refused past the queue's bound, or batched
// together.
// Thread-safety: Hook's function runs on the writer thread; the other methods from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

#include "hookfence/status.h"

namespace hookfence::testing {

class CommitGate {
 public:
  static constexpr std::chrono::seconds kMaxHold{60};

  // Holds the first batch that commits once armed; a gate starts armed unless told otherwise.
  explicit CommitGate(bool armed = true) : armed_(armed) {}

  // The hook to install. `after`, when given, is called with the size of every later batch and
  // decides its commit (e.g. to fail it).
  std::function<Status(std::size_t)> Hook(std::function<Status(std::size_t)> after = nullptr) {
    return [this, after = std::move(after)](std::size_t size) {
      std::unique_lock lock(mu_);
      if (!armed_ || held_) {
        lock.unlock();
        return after ? after(size) : Status::Ok();
      }
      held_ = true;
      cv_.notify_all();
      // Bounded: a test that fails before Release() then ends instead of hanging in the store's
      // destructor, which waits for the writer.
      cv_.wait_for(lock, kMaxHold, [this] { return released_; });
      return Status::Ok();
    };
  }

  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
  }
  // Waits until the writer is held in a commit.
  void WaitUntilHeld() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return held_; });
  }
  // Lets the held commit (and every later one) go on.
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_;
  bool held_ = false;
  bool released_ = false;
};

}  // namespace hookfence::testing
