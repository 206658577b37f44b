#include "src/store/mysql_schema.h"

#include <algorithm>
#include <string>

#include "src/store/migration.h"

namespace hookfence::store::internal {
namespace {

// How long a gateway waits for another one's migrations before giving up.
constexpr int kMigrationLockSeconds = 60;

std::string MigrationLockName(const std::string& database) {
  // GET_LOCK names are server-wide and at most 64 characters; a truncated name can only make
  // two databases' migrations wait for each other, never run together.
  return ("hookfence_migrate:" + database).substr(0, 64);
}

}  // namespace

Result<SchemaReport> MigrateMysqlSchema(const MysqlParams& params) {
  HF_ASSIGN_OR_RETURN(auto db, MysqlConnection::Connect(params, /*multi_statements=*/true));
  const std::string lock_name = MigrationLockName(params.database);
  HF_ASSIGN_OR_RETURN(
      auto locked, db->Query("SELECT GET_LOCK(?, ?)",
                             {std::string_view(lock_name), std::int64_t{kMigrationLockSeconds}}));
  if (locked.empty() || locked[0].IsNull(0) || locked[0].Int(0) != 1) {
    return UnavailableError("mysql " + params.display +
                            ": another hookfence has been migrating the schema for " +
                            std::to_string(kMigrationLockSeconds) + "s; try again");
  }
  Result<SchemaReport> report = [&]() -> Result<SchemaReport> {
    HF_RETURN_IF_ERROR(
        db->Exec("CREATE TABLE IF NOT EXISTS hookfence_schema (id TINYINT NOT NULL PRIMARY KEY, "
                 "version INT NOT NULL, readable_by INT NOT NULL) ENGINE=InnoDB"));
    HF_ASSIGN_OR_RETURN(
        auto rows, db->Query("SELECT version, readable_by FROM hookfence_schema WHERE id = 1"));
    const int version = rows.empty() ? 0 : static_cast<int>(rows[0].Int(0));
    int readable_by = rows.empty() ? 0 : static_cast<int>(rows[0].Int(1));
    HF_ASSIGN_OR_RETURN(auto plan, PlanMigrations(kMysqlMigrations, version, readable_by));
    SchemaReport out;
    out.version_before = version;
    out.version_after = plan.version_after;
    for (const Migration* migration : plan.to_apply) {
      Status status = db->Exec(migration->sql);
      if (!status.ok()) {
        return Status(status.code(),
                      std::string("migration ") + migration->name + " failed: " + status.message());
      }
      readable_by = std::max(readable_by, ReadableBy(*migration));
      HF_RETURN_IF_ERROR(db->Execute("REPLACE INTO hookfence_schema (id, version, readable_by) "
                                     "VALUES (1, ?, ?)",
                                     {std::int64_t{migration->version}, std::int64_t{readable_by}})
                             .status());
      out.applied.emplace_back(migration->name);
    }
    return out;
  }();
  db->Query("SELECT RELEASE_LOCK(?)", {std::string_view(lock_name)}).status().IgnoreError();
  return report;
}

}  // namespace hookfence::store::internal
