// Versioned schema migrations, compiled into the library from migrations/<backend>/NNNN_*.sql,
// and the one rule every backend follows to apply them during a rolling upgrade.
//
// Rolling upgrades: while old and new gateways share a database, the old ones must keep working
// on the migrated schema. So each migration only adds (tables, indexes, columns with defaults),
// and a database records `readable_by`: the oldest schema version whose code still works with it.
// A migration that breaks older code says so in a line "-- readable_by: N" (N = its own version);
// by default a migration keeps the code of the version before it working. A build refuses only a
// database whose readable_by is newer than the newest migration it knows.
// Thread-safety: pure functions and constant data.
#pragma once

#include <string>
#include <vector>

#include "hookfence/result.h"

namespace hookfence::store::internal {

struct Migration {
  int version;       // NNNN: applied in increasing order, each exactly once
  const char* name;  // the file name without .sql
  const char* sql;
};

extern const std::vector<Migration> kSqliteMigrations;
extern const std::vector<Migration> kPostgresMigrations;
extern const std::vector<Migration> kMysqlMigrations;

// The oldest schema version whose code works after `migration` ("-- readable_by: N" in its SQL,
// or version - 1 when absent; at least 0).
int ReadableBy(const Migration& migration);

struct MigrationPlan {
  std::vector<const Migration*> to_apply;  // in order
  int version_after = 0;                   // the database's version once they are applied
  int readable_by_after = 0;               // and its readable_by
  bool newer_than_known = false;           // the database is ahead of this build (still usable)
};

// What to do with a database at `version` whose readable_by is `readable_by` (0 for a new one),
// given the migrations this build knows (sorted by version). kFailedPrecondition naming both
// versions when this build's code cannot work with the database.
Result<MigrationPlan> PlanMigrations(const std::vector<Migration>& known, int version,
                                     int readable_by);

}  // namespace hookfence::store::internal
