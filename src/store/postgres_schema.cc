#include "src/store/postgres_schema.h"

#include <string>
#include <utility>
#include <vector>

#include "src/store/migration.h"

namespace hookfence::store::internal {
namespace {

// pg_advisory_xact_lock(class, hashtext(schema)) serialises migrations of one schema.
constexpr std::int32_t kMigrationLockClass = 0x68666d67;  // "hfmg"

}  // namespace

Result<SchemaReport> MigratePgSchema(PgConnection& db, const PgParams& params) {
  std::vector<PgStatement> start;
  start.push_back(OneOff("BEGIN"));
  PgStatement lock = OneOff("SELECT pg_advisory_xact_lock($1, hashtext($2))");
  lock.args.Int4(kMigrationLockClass).Text(params.schema);
  start.push_back(std::move(lock));
  start.push_back(OneOff("CREATE SCHEMA IF NOT EXISTS \"" + params.schema + "\""));
  start.push_back(
      OneOff("CREATE TABLE IF NOT EXISTS hookfence_schema ("
             "singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton), "
             "version INTEGER NOT NULL, readable_by INTEGER NOT NULL)"));
  start.push_back(OneOff("SELECT version, readable_by FROM hookfence_schema"));
  auto fail = [&db](Status status) {
    if (db.healthy()) db.Query(OneOff("ROLLBACK")).status().IgnoreError();
    return status;
  };
  HF_ASSIGN_OR_RETURN(auto results, db.Pipeline(start));
  for (auto& result : results) {
    if (!result.ok()) return fail(result.status());
  }
  const PgResult& current = *results.back();
  const int version = current.rows() == 0 ? 0 : static_cast<int>(current.Int(0, 0));
  const int readable_by = current.rows() == 0 ? 0 : static_cast<int>(current.Int(0, 1));
  auto plan = internal::PlanMigrations(internal::kPostgresMigrations, version, readable_by);
  if (!plan.ok()) return fail(plan.status());
  SchemaReport report;
  report.version_before = version;
  report.version_after = plan->version_after;
  for (const internal::Migration* migration : plan->to_apply) {
    Status status = db.Exec(migration->sql);
    if (!status.ok()) {
      return fail(status.code() == StatusCode::kUnavailable
                      ? status
                      : InternalError(std::string("migration ") + migration->name +
                                      " failed: " + status.message()));
    }
    report.applied.emplace_back(migration->name);
  }
  std::vector<PgStatement> finish;
  if (!plan->to_apply.empty()) {
    PgStatement record = OneOff(
        "INSERT INTO hookfence_schema (singleton, version, readable_by) VALUES (true, $1, $2) "
        "ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, "
        "readable_by = EXCLUDED.readable_by");
    record.args.Int4(plan->version_after).Int4(plan->readable_by_after);
    finish.push_back(std::move(record));
  }
  finish.push_back(OneOff("COMMIT"));
  HF_ASSIGN_OR_RETURN(auto committed, db.Pipeline(finish));
  for (auto& result : committed) {
    if (!result.ok()) return fail(result.status());
  }
  return report;
}

}  // namespace hookfence::store::internal
