// postgres://user:pass@host:port/db?options — a shared store several gateways use as one (DESIGN
// §4).
//
// Accept and Begin are group-committed: one writer thread takes every call queued since its last
// round trip (up to StoreOptions::max_batch), sends them as one libpq pipeline inside one
// transaction — each call a single INSERT … ON CONFLICT statement — and answers every caller only
// after COMMIT returned (synchronous_commit on). A call that finds its key written earlier in the
// same batch therefore answers after that write is durable, and fails with it. ClaimDue is one
// UPDATE over rows locked FOR UPDATE SKIP LOCKED, so any number of dispatchers in any number of
// processes never hand a record out twice per fence. The owner operations are single fenced
// UPDATE statements. Connections come from a pool; one that failed is discarded, so the store
// reconnects by itself when the server returns.
//
// Options (URL query): schema (default hookfence; created if absent), pool_size (default 8),
// connect_timeout (seconds, default 5), io_timeout (seconds, default 30: the longest wait for the
// server), sslmode (passed to libpq). Capacity is counted in a sharded counter table kept in the
// same transactions; it is exact for one store, and gateways sharing a database may together
// overshoot it by up to one batch each.
// Thread-safety: all methods are safe to call concurrently; any number of processes may share
// one database and schema.
#pragma once

#include <memory>

#include "hookfence/store.h"
#include "src/store/store_url.h"

namespace hookfence::store {

// Connects to the server named by `url`, applies the schema migrations it lacks, and returns
// the store. kUnavailable when the server cannot be reached; kInvalidArgument for a bad option;
// kFailedPrecondition when its schema is newer than this build knows.
Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreUrl& url, StoreOptions options);

// Applies the migrations the database lacks, under the server-side lock (see MigrateStore).
Result<SchemaReport> MigratePostgresStore(const StoreUrl& url);

}  // namespace hookfence::store
