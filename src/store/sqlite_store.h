// sqlite://PATH — the embedded, durable default store (DESIGN §4).
//
// One writer thread owns the only writing connection and group-commits: it takes every operation
// queued since its last commit (up to StoreOptions::max_batch), applies them in order inside one
// transaction, commits with one fsync (WAL, synchronous=FULL), and only then answers each caller.
// An operation that finds a key written earlier in the same batch therefore answers after that
// write is durable, and fails with it if the commit fails. Get and List read on separate
// connections, which see only committed data. Migrations are applied on open under the write lock.
// Thread-safety: all methods are safe to call concurrently; several processes may open one file
// (SQLite's locking serialises their writers).
#pragma once

#include <memory>
#include <string>

#include "hookfence/store.h"

namespace hookfence::store {

// Opens or creates the database at `path` (parent directory must exist) and migrates it.
// kUnavailable when the file cannot be opened; kFailedPrecondition when its schema is newer than
// this build knows.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, StoreOptions options);

// Creates the database at `path` if needed and applies the migrations it lacks (see MigrateStore).
Result<SchemaReport> MigrateSqliteStore(const std::string& path);

}  // namespace hookfence::store
