// The store writes an owner of a lease makes (Complete, Fail, Release), packaged for
// StoreRunner::Write. Shared by the dispatcher and sync mode. Built outside coroutines on purpose:
// GCC 12 mis-handles lambda captures created in a coroutine body.
// Thread-safety: the returned functions own their arguments and may run on any thread.
#pragma once

#include <optional>
#include <string>

#include "hookfence/store.h"
#include "src/server/store_runner.h"

namespace hookfence::server {

inline StoreRunner::QueuedWrite CompleteCall(std::string key, std::uint64_t fence, Attempt attempt,
                                             std::optional<Response> response) {
  return [key = std::move(key), fence, attempt = std::move(attempt),
          response = std::move(response)](Store& store, Store::WriteCallback done) mutable {
    store.CompleteAsync(std::move(key), fence, std::move(attempt), std::move(response),
                        std::move(done));
  };
}

inline StoreRunner::QueuedWrite FailCall(FailRequest request) {
  return [request = std::move(request)](Store& store, Store::WriteCallback done) mutable {
    store.FailAsync(std::move(request), std::move(done));
  };
}

inline StoreRunner::QueuedWrite ReleaseCall(std::string key, std::uint64_t fence) {
  return [key = std::move(key), fence](Store& store, Store::WriteCallback done) mutable {
    store.ReleaseAsync(std::move(key), fence, std::move(done));
  };
}

}  // namespace hookfence::server
