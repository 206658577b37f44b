// The Store interface's default methods.
#include "hookfence/store.h"

namespace hookfence {

void Store::AcceptAsync(AcceptRequest request, AcceptCallback done) {
  // Accept consumes the request, so the caller's payload goes back as a copy; stores with a
  // writer queue override this and hand back the original.
  Payload kept = request.payload;
  done(Accept(std::move(request)), std::move(kept));
}

}  // namespace hookfence
