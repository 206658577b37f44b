#include "src/server/bulk_replay.h"

#include <gtest/gtest.h>

#include "testing/simulated_clock.h"
#include "tests/integration/event_records.h"

namespace hookfence::server {
namespace {

using testing::PutCallerCompleted;
using testing::PutCompleted;
using testing::PutDead;

class BulkReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.clock = &clock_;
    auto store = OpenStore("memory://", options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Runs the loop every caller of BulkReplay runs; returns how many List pages it took.
  int Run(BulkReplay& bulk) {
    int pages = 0;
    while (!bulk.done()) {
      auto page = store_->List(bulk.NextPage());
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      ++pages;
      for (const std::string& key : bulk.Take(*page)) {
        EXPECT_TRUE(bulk.Count(store_->Replay(key)).ok());
      }
    }
    return pages;
  }

  testing::SimulatedClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(BulkReplayTest, PagesThroughEveryMatchingRecord) {
  constexpr int kDead = 2 * static_cast<int>(BulkReplay::kPageSize) + 5;
  for (int i = 0; i < kDead; ++i) PutDead(*store_, clock_, "hooks:d" + std::to_string(i));
  PutCompleted(*store_, clock_, "hooks:c1");
  ListFilter filter;
  filter.state = State::kDead;
  filter.limit = 3;  // replaced by the page size
  BulkReplay bulk(filter);
  EXPECT_EQ(Run(bulk), 3);
  EXPECT_EQ(bulk.replayed(), static_cast<std::uint64_t>(kDead));
  EXPECT_EQ(bulk.skipped(), 0u);
  auto record = store_->Get("hooks:d" + std::to_string(kDead - 1));
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, State::kPending);
  EXPECT_EQ(record->attempts, 0u);
  EXPECT_EQ(store_->Get("hooks:c1")->state, State::kCompleted);
}

TEST_F(BulkReplayTest, UnreplayableRecordsAreSkippedNotErrors) {
  PutCompleted(*store_, clock_, "hooks:c1");
  PutCallerCompleted(*store_, clock_, "hooks:sync");
  ListFilter filter;
  filter.state = State::kCompleted;
  BulkReplay bulk(filter);
  ASSERT_FALSE(bulk.done());
  auto page = store_->List(bulk.NextPage());
  ASSERT_TRUE(page.ok());
  const std::vector<std::string> keys = bulk.Take(*page);
  EXPECT_EQ(keys, std::vector<std::string>{"hooks:c1"});  // the caller-driven one costs no call
  EXPECT_TRUE(bulk.done());
  // Changed or purged since the page was listed: skipped.
  EXPECT_TRUE(bulk.Count(FailedPreconditionError("the record is still pending")).ok());
  EXPECT_TRUE(bulk.Count(NotFoundError("gone")).ok());
  EXPECT_TRUE(bulk.Count(Status::Ok()).ok());
  EXPECT_EQ(bulk.replayed(), 1u);
  EXPECT_EQ(bulk.skipped(), 3u);
  // Anything else stops the run and is handed back.
  const Status down = UnavailableError("down");
  EXPECT_EQ(bulk.Count(down), down);
  EXPECT_EQ(bulk.replayed(), 1u);
  EXPECT_EQ(bulk.skipped(), 3u);
}

}  // namespace
}  // namespace hookfence::server
