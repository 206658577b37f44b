// The store calls an owner of a lease makes (Complete, Fail), packaged for StoreRunner::Run.
// Shared by the dispatcher and sync mode. Built outside coroutines on purpose: GCC 12
// mis-handles lambda captures created in a coroutine body.
// Thread-safety: the returned functions own their arguments and may run on any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "hookfence/store.h"

namespace hookfence::server {

inline std::function<Status(Store&)> CompleteCall(std::string key, std::uint64_t fence,
                                                  Attempt attempt,
                                                  std::optional<Response> response) {
  return [key = std::move(key), fence, attempt = std::move(attempt),
          response = std::move(response)](Store& store) {
    return store.Complete(key, fence, attempt, response);
  };
}

inline std::function<Status(Store&)> FailCall(FailRequest request) {
  return [request = std::move(request)](Store& store) { return store.Fail(request); };
}

}  // namespace hookfence::server
