#include "src/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "hookfence/fingerprint.h"
#include "src/store/migration.h"
#include "testing/commit_gate.h"
#include "testing/scratch_dir.h"
#include "testing/simulated_clock.h"
#include "testing/store_conformance.h"

namespace hookfence::store {
namespace {

using namespace std::chrono_literals;

testing::StoreFactory SqliteFactory() {
  return {"Sqlite",
          [](const StoreOptions& options, const std::string& dir) {
            return OpenSqliteStore(dir + "/store.db", options);
          },
          /*batched=*/true, /*server=*/""};
}

HOOKFENCE_STORE_CONFORMANCE(Sqlite, SqliteFactory());

AcceptRequest Acc(const std::string& key, std::optional<Duration> lease,
                  const std::string& ordering_key = "") {
  AcceptRequest r;
  r.key = key;
  r.payload.body = "{\"id\":\"" + key + "\"}";
  r.payload.headers = {{"content-type", "application/json"}};
  r.fingerprint = Fingerprint(r.payload.body);
  r.lease = lease;
  r.ordering_key = ordering_key;
  return r;
}

BeginRequest Beg(const std::string& key) {
  BeginRequest r;
  r.key = key;
  r.payload.body = "{}";
  r.fingerprint = Fingerprint(r.payload.body);
  r.lease = 30s;
  return r;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Store>> Open() { return OpenSqliteStore(path_, options_); }

  testing::ScratchDir dir_;
  std::string path_ = dir_.File("hookfence.db");
  testing::SimulatedClock clock_;
  StoreOptions options_ = [this] {
    StoreOptions o;
    o.clock = &clock_;
    o.retention = 1h;
    return o;
  }();
};

TEST_F(SqliteStoreTest, CloseAndReopenKeepsEveryState) {
  const std::vector<std::string> keys = {"s:leased", "s:queued", "s:done", "s:dead",
                                         "s:retry",  "s:sync",   "s:tomb", "s:ordered"};
  std::vector<Record> before;
  {
    auto opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    Store& s = **opened;
    ASSERT_TRUE(s.Accept(Acc("s:leased", 30s)).ok());
    ASSERT_TRUE(s.Accept(Acc("s:queued", std::nullopt)).ok());
    auto done = s.Accept(Acc("s:done", 30s));
    ASSERT_TRUE(s.Complete("s:done", done->fence, Attempt{clock_.Now(), 1, 200, "", 3ms},
                           Response{200, {{"x", "y"}}, "ok"})
                    .ok());
    auto dead = s.Accept(Acc("s:dead", 30s));
    FailRequest fail{"s:dead", dead->fence, Attempt{clock_.Now(), 1, 404, "404", 1ms},
                     "404",    true,        {}};
    ASSERT_TRUE(s.Fail(fail).ok());
    auto retry = s.Accept(Acc("s:retry", 30s));
    FailRequest later{"s:retry", retry->fence, Attempt{clock_.Now(), 1, 503, "503", 1ms},
                      "503",     false,        clock_.Now() + 1h};
    ASSERT_TRUE(s.Fail(later).ok());
    ASSERT_TRUE(s.Begin(Beg("s:sync")).ok());
    auto tomb = s.Accept(Acc("s:tomb", 30s));
    ASSERT_TRUE(s.Complete("s:tomb", tomb->fence, Attempt{}, std::nullopt).ok());
    ASSERT_TRUE(s.Accept(Acc("s:ordered", 30s, "cus_1")).ok());
    clock_.Advance(1h);
    ASSERT_EQ(s.Sweep()->payloads_dropped, 2u);  // s:done and s:tomb
    for (const auto& key : keys) before.push_back(*s.Get(key));
  }
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto after = (*reopened)->Get(keys[i]);
    ASSERT_TRUE(after.ok()) << keys[i];
    EXPECT_EQ(*after, before[i]) << keys[i];
  }
  // The reopened store goes on where the old one stopped: dedup, fences and ordering hold.
  EXPECT_EQ((*reopened)->Accept(Acc("s:done", 30s))->kind, AcceptOutcome::Kind::kDuplicate);
  EXPECT_EQ((*reopened)->Accept(Acc("s:ordered2", 30s, "cus_1"))->kind,
            AcceptOutcome::Kind::kQueued);
  EXPECT_GT((*reopened)->Accept(Acc("s:new", 30s))->seq, before.back().seq);
}

TEST_F(SqliteStoreTest, MigrationsRunOnceAndOnlyAnIncompatibleSchemaIsRefused) {
  auto first = MigrateStore("sqlite://" + path_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version_before, 0);
  EXPECT_EQ(first->version_after, static_cast<int>(internal::kSqliteMigrations.size()));
  ASSERT_EQ(first->applied.size(), internal::kSqliteMigrations.size());
  EXPECT_EQ(first->applied.front(), "0001_init");
  auto again = MigrateStore("sqlite://" + path_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->version_before, first->version_after);

  auto exec = [this](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  };
  // A newer release migrated the file and says this build's code still works with it (a rolling
  // upgrade): this build keeps serving.
  exec("PRAGMA user_version = 9999");
  ASSERT_TRUE(Open().ok());
  // A newer release whose schema this build cannot use: refused, naming the versions.
  exec("UPDATE store_meta SET value = 9999 WHERE name = 'readable_by'");
  auto refused = Open();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("9999"), std::string::npos) << refused.status();
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileShareOneTruth) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->Accept(Acc("s:e", 30s))->kind, AcceptOutcome::Kind::kInserted);
  EXPECT_EQ((*b)->Accept(Acc("s:e", 30s))->kind, AcceptOutcome::Kind::kDuplicate);
  EXPECT_EQ((*b)->Begin(Beg("s:f"))->kind, BeginOutcome::Kind::kAcquired);
  EXPECT_EQ((*a)->Begin(Beg("s:f"))->kind, BeginOutcome::Kind::kInProgress);
}

TEST_F(SqliteStoreTest, CapacitySeesWhatAnotherProcessFreed) {
  options_.capacity = 1;
  options_.key_retention = 1h;
  auto gateway = Open();        // e.g. a running gateway
  auto operator_tool = Open();  // e.g. `hookfence store sweep` on the same file
  ASSERT_TRUE(gateway.ok() && operator_tool.ok());
  auto first = (*gateway)->Accept(Acc("s:e1", 30s));
  ASSERT_EQ(first->kind, AcceptOutcome::Kind::kInserted);
  ASSERT_TRUE((*gateway)->Complete("s:e1", first->fence, {}, std::nullopt).ok());
  EXPECT_EQ((*gateway)->Accept(Acc("s:e2", 30s))->kind, AcceptOutcome::Kind::kFull);
  clock_.Advance(1h);
  ASSERT_EQ((*operator_tool)->Sweep()->records_erased, 1u);
  EXPECT_EQ((*gateway)->Accept(Acc("s:e2", 30s))->kind, AcceptOutcome::Kind::kInserted);
}

TEST_F(SqliteStoreTest, ConcurrentCallersShareGroupCommits) {
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&s, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = s.Accept(Acc("s:t" + std::to_string(t) + "-" + std::to_string(i), 30s));
        EXPECT_TRUE(r.ok() && r->kind == AcceptOutcome::Kind::kInserted);
      }
    });
  }
  for (auto& t : threads) t.join();
  StoreStats stats = s.Stats();
  EXPECT_EQ(stats.batched_operations, static_cast<std::uint64_t>(kThreads * kPerThread));
  // One transaction per call would make this exactly equal; group commit makes it smaller.
  EXPECT_LT(stats.batches, stats.batched_operations);
  std::uint64_t histogram_total = 0;
  for (std::uint64_t n : stats.batch_sizes) histogram_total += n;
  EXPECT_EQ(histogram_total, stats.batches);
  EXPECT_LT(stats.batch_sizes[0], stats.batches);  // not every batch had a single operation
  std::cout << "[ batching ] " << stats.batched_operations << " accepts in " << stats.batches
            << " commits\n";
}

TEST_F(SqliteStoreTest, WriteQueueBoundRefusesWithResourceExhausted) {
  testing::CommitGate gate;
  options_.max_pending_writes = 1;
  options_.before_commit_for_testing = gate.Hook();
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  std::thread in_commit([&] { EXPECT_TRUE(s.Accept(Acc("s:a", 30s)).ok()); });
  gate.WaitUntilHeld();
  // The writer holds s:a's batch; one more call may wait in the queue, the next is refused.
  std::thread queued([&] { EXPECT_TRUE(s.Accept(Acc("s:b", 30s)).ok()); });
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (s.Stats().pending_writes != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(s.Stats().pending_writes, 1u);
  EXPECT_EQ(s.Accept(Acc("s:c", 30s)).status().code(), StatusCode::kResourceExhausted);
  gate.Release();
  in_commit.join();
  queued.join();
  EXPECT_EQ(s.Get("s:c").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.Get("s:b").ok());
}

TEST_F(SqliteStoreTest, AsyncOwnerWritesOnlyQueueAndShareOneCommit) {
  testing::CommitGate gate(/*armed=*/false);
  options_.before_commit_for_testing = gate.Hook();
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  auto a = s.Accept(Acc("s:a", 30s));
  auto b = s.Accept(Acc("s:b", 30s));
  auto c = s.Accept(Acc("s:c", 30s));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  gate.Arm();
  std::thread in_commit([&] { EXPECT_TRUE(s.Accept(Acc("s:held", 30s)).ok()); });
  gate.WaitUntilHeld();
  const std::uint64_t batches_before = s.Stats().batches;

  // The writer is stuck in a commit: a call that waited for its own commit would never return.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Status> answers;
  auto done = [&](Status status) {
    std::lock_guard lock(mu);
    answers.push_back(std::move(status));
    cv.notify_all();
  };
  s.CompleteAsync("s:a", a->fence, Attempt{{}, a->fence, 200, "", 1ms}, std::nullopt, done);
  FailRequest fail;
  fail.key = "s:b";
  fail.fence = b->fence;
  fail.attempt = Attempt{{}, b->fence, 503, "503", 1ms};
  fail.error = "503";
  fail.retry_at = clock_.Now() + 5s;
  s.FailAsync(std::move(fail), done);
  s.ReleaseAsync("s:c", c->fence, done);
  EXPECT_EQ(s.Stats().pending_writes, 3u);
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(answers.empty()) << "answered before the commit";
  }
  gate.Release();
  in_commit.join();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return answers.size() == 3; }));
  }
  for (const Status& answer : answers) EXPECT_TRUE(answer.ok()) << answer;
  // The three queued writes went in one batch after the held one.
  EXPECT_EQ(s.Stats().batches, batches_before + 1);
  EXPECT_EQ(s.Get("s:a")->state, State::kCompleted);
  EXPECT_EQ(s.Get("s:b")->state, State::kPending);
  EXPECT_EQ(s.Get("s:c")->state, State::kPending);
}

TEST_F(SqliteStoreTest, WalCheckpointsRunOffTheCommitPathAndTheWalStaysBounded) {
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  // About 12,000 WAL pages of 4 KiB bodies, from enough concurrent calls to make group commits.
  constexpr int kEvents = 6000;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0, inserted = 0;
  for (int i = 0; i < kEvents; ++i) {
    AcceptRequest request = Acc("s:w" + std::to_string(i), std::nullopt);
    request.payload.body = std::string(4096, static_cast<char>('a' + i % 26));
    request.fingerprint = Fingerprint(request.payload.body);
    (*store)->AcceptAsync(std::move(request), [&](Result<AcceptOutcome> outcome, Payload) {
      std::lock_guard lock(mu);
      if (outcome.ok() && outcome->kind == AcceptOutcome::Kind::kQueued) ++inserted;
      ++answered;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 120s, [&] { return answered == kEvents; }));
  }
  EXPECT_EQ(inserted, kEvents);
  const StoreStats stats = (*store)->Stats();
  EXPECT_GT(stats.background_checkpoints, 0u) << "no checkpoint ran off the writer";
  // The WAL starts over instead of growing: bounded by the writer's hard bound (4 × 1,000 pages)
  // plus one batch, far below the ~50 MB written.
  const auto wal_bytes = std::filesystem::file_size(path_ + "-wal");
  EXPECT_LT(wal_bytes, 24u * 1024 * 1024) << "WAL grew to " << wal_bytes << " bytes";
  // About 25 MB were written and at most the hard bound plus one batch (~19 MB) can still sit in
  // the WAL, so checkpoints must have copied at least the difference into the database file.
  EXPECT_GT(std::filesystem::file_size(path_), 4u * 1024 * 1024) << "pages never reached the file";
  std::cout << "[ wal      ] checkpoints: " << stats.background_checkpoints << " background, "
            << stats.writer_checkpoints << " by the writer; WAL " << wal_bytes << " bytes\n";
}

}  // namespace
}  // namespace hookfence::store
