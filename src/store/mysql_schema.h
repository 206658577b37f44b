// The MySQL store's schema: versioned migrations (migrations/mysql/NNNN_*.sql) applied under a
// server-side lock, with the rolling-upgrade rule of migration.h.
// Thread-safety: any number of callers, in any number of processes (that is what the lock is for).
#pragma once

#include "hookfence/store.h"
#include "src/store/mysql_connection.h"

namespace hookfence::store::internal {

// Applies the migrations the database lacks while holding GET_LOCK: MySQL commits each DDL
// statement on its own, so a transaction cannot make migrations atomic, but the lock keeps a
// second gateway starting at the same time waiting until the first is done (it then finds
// nothing left to do).
// The bookkeeping table hookfence_schema (one row: version, readable_by) is made here, before
// the first migration, so that a database without it reads as version 0. kFailedPrecondition
// when the database needs a newer hookfence; kUnavailable when another gateway holds the lock
// too long or the server cannot be reached.
Result<SchemaReport> MigrateMysqlSchema(const MysqlParams& params);

}  // namespace hookfence::store::internal
