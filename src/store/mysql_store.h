// mysql://user:pass@host:port/db?options (also mariadb://) — a shared store several gateways use
// as one (DESIGN §4), on InnoDB through libmariadb; works with MySQL 8 and MariaDB 10.6 or newer.
//
// Accept and Begin go through one writer thread per store that group-commits whatever was queued
// since its last commit (up to StoreOptions::max_batch) in one transaction; each new key is an
// INSERT … ON DUPLICATE KEY UPDATE, an existing one is read FOR UPDATE and changed by the rules
// of transitions.h. ClaimDue uses FOR UPDATE SKIP LOCKED; the owner operations lock their row.
// A deadlock or lock wait timeout runs the transaction again. Every time comes from
// StoreOptions::clock. Schema: migrations/mysql, applied on open under GET_LOCK.
//
// Options: pool_size (connections besides the writer's one, default 8), connect_timeout (seconds,
// default 5s), io_timeout (read/write timeout, default 30s), lock_wait_timeout
// (innodb_lock_wait_timeout, default 10s, below io_timeout). A server with binary logging must use
// binlog_format ROW or MIXED (READ COMMITTED transactions cannot be logged as statements).
// Thread-safety: the store may be used from any number of threads.
#pragma once

#include <memory>

#include "hookfence/store.h"
#include "src/store/store_url.h"

namespace hookfence::store {

// Connects to the server named by `url`, applies the schema migrations it lacks, and returns
// the store. kUnavailable when the server cannot be reached; kInvalidArgument for a bad option;
// kFailedPrecondition when its schema is newer than this build knows.
Result<std::unique_ptr<Store>> OpenMysqlStore(const StoreUrl& url, StoreOptions options);

// Applies the migrations the database lacks, under the server-side lock (see MigrateStore).
Result<SchemaReport> MigrateMysqlStore(const StoreUrl& url);

}  // namespace hookfence::store
