// memory:// — an in-process store: a sharded hash map with one lock per shard.
//
// Not durable: for tests and library users who need no persistence. Every operation on one key
// takes only that key's shard lock; ClaimDue, List and Sweep, which look across keys, take every
// shard lock in index order. The ordering index (unfinished records per source and ordering key)
// has its own lock, always taken after a shard lock.
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <memory>

#include "hookfence/store.h"

namespace hookfence::store {

std::unique_ptr<Store> NewMemoryStore(StoreOptions options);

}  // namespace hookfence::store
