// redis://host:port/db?options — a shared store several gateways use as one (DESIGN §4), on a
// single Redis primary (hiredis 0.14: no TLS, no Cluster).
//
// Every state change is one Lua script (redis_scripts.h), so claim, fence and indexes change in
// one atomic step; times come from StoreOptions::clock as script arguments, never from Redis.
// Concurrent writes are pipelined: a writer thread sends the calls queued since its last round
// trip as one pipeline. Reads use the connection pool directly.
//
// URL: redis://[[user]:password@]host[:port][/db][?option=value&...]. Options:
//   prefix           key prefix of this store's data (default "hookfence")
//   pool_size        most connections (default 8)
//   connect_timeout  e.g. 5s, 500ms (default 5s)
//   command_timeout  a reply must come within this (default 10s)
// Durability: the server must run with appendonly yes and appendfsync always, or the store
// refuses to open unless StoreOptions::allow_volatile.
// Thread-safety: the store is safe to use from any number of threads.
#pragma once

#include <memory>

#include "hookfence/store.h"
#include "src/store/store_url.h"

namespace hookfence::store {

// Connects to the server named by `url`, applies the layout migrations it lacks, and returns
// the store. kUnavailable when the server cannot be reached; kInvalidArgument for a bad option;
// kFailedPrecondition when the server is not durable (see above) or its layout is newer than
// this build knows.
Result<std::unique_ptr<Store>> OpenRedisStore(const StoreUrl& url, StoreOptions options);

// Records the layout version under the prefix if it is new (see MigrateStore). Redis has no
// schema: the layout key only guards against a newer, incompatible release's data.
Result<SchemaReport> MigrateRedisStore(const StoreUrl& url);

}  // namespace hookfence::store
