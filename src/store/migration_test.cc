#include "src/store/migration.h"

#include <gtest/gtest.h>

namespace hookfence::store::internal {
namespace {

const std::vector<Migration> kKnown = {
    {1, "0001_init", "CREATE TABLE a (x INT);"},
    {2, "0002_index", "CREATE INDEX a_x ON a(x);"},
    {3, "0003_rewrite", "-- readable_by: 3\nALTER TABLE a RENAME TO b;"},
};

TEST(MigrationTest, ReadableByDefaultsToThePreviousVersion) {
  EXPECT_EQ(ReadableBy(kKnown[0]), 0);
  EXPECT_EQ(ReadableBy(kKnown[1]), 1);
  EXPECT_EQ(ReadableBy(kKnown[2]), 3);
}

TEST(MigrationTest, NewDatabaseGetsEveryMigrationInOrder) {
  auto plan = PlanMigrations(kKnown, 0, 0);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->to_apply.size(), 3u);
  EXPECT_EQ(plan->to_apply[0]->version, 1);
  EXPECT_EQ(plan->to_apply[2]->version, 3);
  EXPECT_EQ(plan->version_after, 3);
  EXPECT_EQ(plan->readable_by_after, 3);
  EXPECT_FALSE(plan->newer_than_known);
}

TEST(MigrationTest, PartlyMigratedDatabaseGetsOnlyTheRest) {
  auto plan = PlanMigrations(kKnown, 1, 0);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->to_apply.size(), 2u);
  EXPECT_EQ(plan->to_apply[0]->version, 2);
  auto current = PlanMigrations(kKnown, 3, 3);
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(current->to_apply.empty());
}

// A rolling upgrade: the new release migrated the database to version 4, which the code of
// version 3 still works with. The old release keeps serving; it applies nothing.
TEST(MigrationTest, OlderBuildKeepsWorkingOnACompatibleNewerSchema) {
  auto plan = PlanMigrations(kKnown, 4, 3);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->to_apply.empty());
  EXPECT_TRUE(plan->newer_than_known);
  EXPECT_EQ(plan->version_after, 4);
}

TEST(MigrationTest, OlderBuildRefusesASchemaItCannotUse) {
  auto plan = PlanMigrations(kKnown, 5, 5);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find("schema version 5 or newer"), std::string::npos)
      << plan.status();
  EXPECT_NE(plan.status().message().find("up to version 3"), std::string::npos);
}

}  // namespace
}  // namespace hookfence::store::internal
