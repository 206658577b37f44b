// redis://host:port/db — a shared store several gateways use as one (DESIGN §4).
#pragma once

#include <memory>

#include "hookfence/store.h"
#include "src/store/store_url.h"

namespace hookfence::store {

// Connects to the server named by `url`, applies the schema migrations it lacks, and returns
// the store. kUnavailable when the server cannot be reached; kInvalidArgument for a bad option;
// kFailedPrecondition when its schema is newer than this build knows.
Result<std::unique_ptr<Store>> OpenRedisStore(const StoreUrl& url, StoreOptions options);

// Applies the migrations the database lacks, under the server-side lock (see MigrateStore).
Result<SchemaReport> MigrateRedisStore(const StoreUrl& url);

}  // namespace hookfence::store
