// The Store interface's default methods.
#include "hookfence/store.h"

#include <utility>

namespace hookfence {

void Store::AcceptAsync(AcceptRequest request, AcceptCallback done) {
  // Accept consumes the request, so the caller's payload goes back as a copy; stores with a
  // writer queue override this and hand back the original.
  Payload kept = request.payload;
  done(Accept(std::move(request)), std::move(kept));
}

void Store::CompleteAsync(std::string key, std::uint64_t fence, Attempt attempt,
                          std::optional<Response> response, WriteCallback done) {
  done(Complete(key, fence, std::move(attempt), std::move(response)));
}

void Store::FailAsync(FailRequest request, WriteCallback done) { done(Fail(std::move(request))); }

void Store::ReleaseAsync(std::string key, std::uint64_t fence, WriteCallback done) {
  done(Release(key, fence));
}

}  // namespace hookfence
