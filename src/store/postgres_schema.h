// The PostgreSQL store's schema: versioned migrations (migrations/postgres/, embedded as
// kPostgresMigrations) applied under a server-side lock, with the rolling-upgrade rule of
// migration.h recorded in a hookfence_schema table (version, readable_by).
// Thread-safety: one call per connection at a time; any number of processes may migrate one
// schema at once (they serialise on the lock).
#pragma once

#include "hookfence/store.h"
#include "src/store/postgres_connection.h"

namespace hookfence::store::internal {

// Creates params.schema if absent and applies the migrations it lacks, in one transaction holding
// pg_advisory_xact_lock(class, hashtext(schema)): a second gateway starting at the same moment
// waits, then finds nothing left to do. kFailedPrecondition when the schema needs newer code.
Result<SchemaReport> MigratePgSchema(PgConnection& db, const PgParams& params);

}  // namespace hookfence::store::internal
