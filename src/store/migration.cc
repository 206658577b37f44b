#include "src/store/migration.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace hookfence::store::internal {

int ReadableBy(const Migration& migration) {
  static constexpr std::string_view kMarker = "-- readable_by:";
  const std::string_view sql(migration.sql);
  const auto at = sql.find(kMarker);
  if (at != std::string_view::npos) {
    std::string_view rest = sql.substr(at + kMarker.size());
    rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    int value = 0;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (error == std::errc() && end != rest.data()) return value;
  }
  return std::max(0, migration.version - 1);
}

Result<MigrationPlan> PlanMigrations(const std::vector<Migration>& known, int version,
                                     int readable_by) {
  const int newest = known.empty() ? 0 : known.back().version;
  if (readable_by > newest) {
    return FailedPreconditionError("the database's schema is version " + std::to_string(version) +
                                   ", which needs hookfence code of schema version " +
                                   std::to_string(readable_by) +
                                   " or newer; this build knows up to version " +
                                   std::to_string(newest) + ": upgrade hookfence");
  }
  MigrationPlan plan;
  plan.version_after = version;
  plan.readable_by_after = readable_by;
  plan.newer_than_known = version > newest;
  for (const Migration& migration : known) {
    if (migration.version <= version) continue;
    plan.to_apply.push_back(&migration);
    plan.version_after = migration.version;
    plan.readable_by_after = std::max(plan.readable_by_after, ReadableBy(migration));
  }
  return plan;
}

}  // namespace hookfence::store::internal
