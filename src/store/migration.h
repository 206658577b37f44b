// A versioned schema migration, compiled into the library from migrations/<backend>/NNNN_*.sql.
#pragma once

#include <vector>

namespace hookfence::store::internal {

struct Migration {
  int version;       // NNNN: applied in increasing order, each exactly once
  const char* name;  // the file name without .sql
  const char* sql;
};

extern const std::vector<Migration> kSqliteMigrations;
extern const std::vector<Migration> kPostgresMigrations;
extern const std::vector<Migration> kMysqlMigrations;

}  // namespace hookfence::store::internal
