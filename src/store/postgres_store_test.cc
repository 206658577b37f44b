#include "src/store/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hookfence/fingerprint.h"
#include "src/store/migration.h"
#include "src/store/postgres_connection.h"
#include "testing/commit_gate.h"
#include "testing/simulated_clock.h"
#include "testing/store_conformance.h"
#include "testing/test_servers.h"

namespace hookfence::store {
namespace {

using namespace std::chrono_literals;

// `url` with one more query option.
std::string WithOption(const std::string& url, const std::string& option) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + option;
}

testing::StoreFactory PostgresFactory() {
  return {
      "Postgres",
      [](const StoreOptions& options, const std::string& url) -> Result<std::unique_ptr<Store>> {
        HF_ASSIGN_OR_RETURN(StoreUrl parsed,
                            ParseStoreUrl(WithOption(url, "schema=" + testing::UniqueNamespace())));
        return OpenPostgresStore(parsed, options);
      },
      /*batched=*/true, /*server=*/"POSTGRES"};
}

HOOKFENCE_STORE_CONFORMANCE(Postgres, PostgresFactory());

AcceptRequest Acc(const std::string& key, std::optional<Duration> lease) {
  AcceptRequest r;
  r.key = key;
  r.payload.body = "{\"id\":\"" + key + "\"}";
  r.fingerprint = Fingerprint(r.payload.body);
  r.lease = lease;
  return r;
}

BeginRequest Beg(const std::string& key, Duration lease = 1h) {
  BeginRequest r;
  r.key = key;
  r.payload.body = "{\"id\":\"" + key + "\"}";
  r.fingerprint = Fingerprint(r.payload.body);
  r.lease = lease;
  return r;
}

// A schema of its own on the test server for each test, opened as two gateways would.
class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HOOKFENCE_TEST_SERVER_URL(server, "POSTGRES");
    url_ = WithOption(server, "schema=" + testing::UniqueNamespace());
    options_.clock = &clock_;
  }

  StoreUrl Url(const std::string& extra = "") const {
    return ParseStoreUrl(extra.empty() ? url_ : WithOption(url_, extra)).value();
  }

  std::unique_ptr<Store> MustOpen() {
    auto store = OpenPostgresStore(Url(), options_);
    HF_CHECK(store.ok());
    return std::move(*store);
  }

  // Runs `sql` on a connection of its own to the test schema.
  Status Sql(const std::string& text) {
    HF_ASSIGN_OR_RETURN(auto params, internal::PgParamsFromUrl(Url()));
    HF_ASSIGN_OR_RETURN(auto db, internal::PgConnection::Connect(params));
    return db->Exec(text);
  }

  // Makes the writer's first batch wait in before_commit_for_testing until gate_.Release(), so
  // that calls made meanwhile are queued and go out together in the second batch.
  void HoldFirstBatch() { options_.before_commit_for_testing = gate_.Hook(); }
  // Polls (without sleeping) until `done` or 30 s passed; returns done().
  static bool Eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return done();
  }

  std::string url_;
  testing::SimulatedClock clock_;
  StoreOptions options_;
  testing::CommitGate gate_;
};

TEST_F(PostgresStoreTest, TwoStoresRacingOnOneSchemaAcquireEachKeyOnce) {
  auto a = MustOpen();
  auto b = MustOpen();
  constexpr int kThreads = 32;
  constexpr int kKeys = 40;
  std::atomic<int> errors{0};
  std::mutex mu;
  std::map<std::string, int> won;  // key -> Acquired / Inserted answers
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < kKeys; ++i) {
        const std::string begun = "sync:k" + std::to_string(i);
        const std::string accepted = "async:k" + std::to_string(i);
        auto begin = store.Begin(Beg(begun));
        auto accept = store.Accept(Acc(accepted, 30s));
        if (!begin.ok() || !accept.ok()) {
          errors.fetch_add(1);
          continue;
        }
        std::lock_guard lock(mu);
        if (begin->kind == BeginOutcome::Kind::kAcquired) ++won[begun];
        if (accept->kind == AcceptOutcome::Kind::kInserted) ++won[accepted];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(won.size(), static_cast<std::size_t>(2 * kKeys));
  for (const auto& [key, count] : won) EXPECT_EQ(count, 1) << key;
}

TEST_F(PostgresStoreTest, TwoStoresClaimingConcurrentlyHandEachRecordOutOncePerFence) {
  auto a = MustOpen();
  auto b = MustOpen();
  constexpr int kRecords = 600;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_EQ(a->Accept(Acc("s:e" + std::to_string(i), std::nullopt))->kind,
              AcceptOutcome::Kind::kQueued);
  }
  std::mutex mu;
  std::map<std::string, std::vector<std::uint64_t>> fences;
  std::atomic<int> errors{0};
  auto claim_all = [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        Store& store = t % 2 == 0 ? *a : *b;
        for (;;) {
          auto claims = store.ClaimDue(8, 10min);
          if (!claims.ok()) {
            errors.fetch_add(1);
            return;
          }
          if (claims->empty()) return;
          std::lock_guard lock(mu);
          for (const Claim& c : *claims) fences[c.record.key].push_back(c.record.fence);
        }
      });
    }
    for (auto& thread : threads) thread.join();
  };
  claim_all();
  clock_.Advance(10min + options_.max_clock_skew);  // every lease lapses: a second round
  claim_all();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(fences.size(), static_cast<std::size_t>(kRecords));
  for (const auto& [key, seen] : fences) {
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2})) << key;
  }
}

TEST_F(PostgresStoreTest, RacingMigrationsOfAFreshSchemaApplyOnce) {
  std::vector<std::future<Result<SchemaReport>>> migrations;
  for (int i = 0; i < 4; ++i) {
    migrations.push_back(
        std::async(std::launch::async, [&] { return MigratePostgresStore(Url()); }));
  }
  auto opened = std::async(std::launch::async, [&] { return OpenPostgresStore(Url(), options_); });
  int applied = 0;
  for (auto& migration : migrations) {
    auto report = migration.get();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->version_after, internal::kPostgresMigrations.back().version);
    applied += static_cast<int>(report->applied.size());
  }
  auto store = opened.get();
  ASSERT_TRUE(store.ok()) << store.status();
  // Whoever came first applied every migration; everyone else found nothing to do.
  EXPECT_LE(applied, static_cast<int>(internal::kPostgresMigrations.size()));
  auto again = MigratePostgresStore(Url());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->version_before, internal::kPostgresMigrations.back().version);
  EXPECT_EQ((*store)->Accept(Acc("s:e", 30s))->kind, AcceptOutcome::Kind::kInserted);
}

TEST_F(PostgresStoreTest, SchemaNeedingNewerCodeIsRefusedNewerButReadableOpens) {
  ASSERT_TRUE(MigratePostgresStore(Url()).ok());
  const int known = internal::kPostgresMigrations.back().version;
  // A newer release added a migration that old code can still work with.
  ASSERT_TRUE(Sql("UPDATE hookfence_schema SET version = " + std::to_string(known + 1)).ok());
  auto readable = OpenPostgresStore(Url(), options_);
  ASSERT_TRUE(readable.ok()) << readable.status();
  EXPECT_EQ((*readable)->Accept(Acc("s:e", 30s))->kind, AcceptOutcome::Kind::kInserted);
  auto report = MigratePostgresStore(Url());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->version_after, known + 1);
  EXPECT_TRUE(report->applied.empty());

  // And one that it cannot.
  ASSERT_TRUE(Sql("UPDATE hookfence_schema SET version = " + std::to_string(known + 2) +
                  ", readable_by = " + std::to_string(known + 2))
                  .ok());
  auto refused = OpenPostgresStore(Url(), options_);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(MigratePostgresStore(Url()).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PostgresStoreTest, ConcurrentBeginsShareBatches) {
  auto store = MustOpen();
  constexpr int kThreads = 16;
  constexpr int kCalls = 40;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        auto outcome = store->Begin(Beg("s:t" + std::to_string(t) + "_" + std::to_string(i)));
        if (!outcome.ok() || outcome->kind != BeginOutcome::Kind::kAcquired) errors.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  const StoreStats stats = store->Stats();
  EXPECT_EQ(stats.batched_operations, static_cast<std::uint64_t>(kThreads * kCalls));
  EXPECT_LT(stats.batches, stats.batched_operations);
  std::uint64_t larger = 0;
  for (std::size_t i = 1; i < stats.batch_sizes.size(); ++i) larger += stats.batch_sizes[i];
  EXPECT_GT(larger, 0u) << "no batch carried more than one call";
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailableQuicklyWithoutThePassword) {
  // Nothing listens on port 1 of the loopback address: connections are refused at once.
  auto url = ParseStoreUrl("postgres://hookfence:s3cret-pw@127.0.0.1:1/postgres?schema=hf_x");
  ASSERT_TRUE(url.ok());
  const auto start = std::chrono::steady_clock::now();
  auto store = OpenPostgresStore(*url, options_);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.status().message().find("s3cret-pw"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("127.0.0.1:1"), std::string::npos)
      << store.status().message();
  auto migrated = MigratePostgresStore(*url);
  EXPECT_EQ(migrated.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(migrated.status().message().find("s3cret-pw"), std::string::npos);
}

TEST_F(PostgresStoreTest, BadOptionsAreInvalidArguments) {
  for (const auto& [option, named] : std::vector<std::pair<std::string, std::string>>{
           {"pool=4", "'pool'"},
           {"pool_size=0", "'pool_size'"},
           {"connect_timeout=soon", "'connect_timeout'"},
           {"sslmode=maybe", "'sslmode'"},
           {"io_timeout=-1", "'io_timeout'"}}) {
    auto store = OpenPostgresStore(Url(option), options_);
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << option;
    EXPECT_NE(store.status().message().find(named), std::string::npos)
        << option << ": " << store.status().message();
  }
  auto bad_schema = ParseStoreUrl("postgres://h/db?schema=Robert%27%3B%20DROP");
  ASSERT_TRUE(bad_schema.ok());
  EXPECT_EQ(OpenPostgresStore(*bad_schema, options_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PostgresStoreTest, ConnectionsKilledByTheServerAreReplacedAutomatically) {
  auto store = MustOpen();
  ASSERT_TRUE(store->Accept(Acc("s:before", 30s)).ok());
  ASSERT_TRUE(store->Get("s:before").ok());
  // The server ends every session of the store (as a restart or failover would).
  auto params = internal::PgParamsFromUrl(Url());
  ASSERT_TRUE(params.ok());
  ASSERT_TRUE(Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE application_name = 'hookfence:" +
                  params->schema + "' AND pid <> pg_backend_pid()")
                  .ok());
  // A call on a dead connection fails as unavailable (never as anything the caller could take
  // for an answer), and the store then reconnects by itself.
  Status first = store->Accept(Acc("s:after", 30s)).status();
  if (!first.ok()) {
    EXPECT_EQ(first.code(), StatusCode::kUnavailable) << first;
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  Result<Record> read = store->Get("s:before");
  while (!read.ok() && std::chrono::steady_clock::now() < deadline) {
    EXPECT_EQ(read.status().code(), StatusCode::kUnavailable) << read.status();
    read = store->Get("s:before");
  }
  ASSERT_TRUE(read.ok()) << read.status();
  auto again = store->Accept(Acc("s:after", 30s));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(store->Get("s:after").ok());
}

TEST_F(PostgresStoreTest, OneCallsFailingStatementDoesNotFailTheRestOfItsBatch) {
  HoldFirstBatch();
  auto store = MustOpen();
  // A constraint only this test has makes one key's insert fail inside the batch.
  ASSERT_TRUE(
      Sql("ALTER TABLE events ADD CONSTRAINT test_refuses_bad CHECK (key <> 's:bad')").ok());
  auto blocker = std::async(std::launch::async, [&] { return store->Begin(Beg("s:blocker")); });
  gate_.WaitUntilHeld();
  std::vector<std::future<Result<AcceptOutcome>>> calls;
  for (const char* key : {"s:a", "s:bad", "s:c"}) {
    calls.push_back(
        std::async(std::launch::async, [&, key] { return store->Accept(Acc(key, 30s)); }));
  }
  ASSERT_TRUE(Eventually([&] { return store->Stats().pending_writes == 3; }));
  gate_.Release();
  ASSERT_TRUE(blocker.get().ok());
  auto a = calls[0].get();
  auto bad = calls[1].get();
  auto c = calls[2].get();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(a->kind, AcceptOutcome::Kind::kInserted);
  EXPECT_EQ(c->kind, AcceptOutcome::Kind::kInserted);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(store->Get("s:bad").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->Get("s:a").ok());
  EXPECT_TRUE(store->Get("s:c").ok());
  EXPECT_EQ(store->Stats().batches, 2u);  // the three calls shared one batch
}

TEST_F(PostgresStoreTest, ABatchChosenAsDeadlockVictimStartsOver) {
  {
    auto setup = MustOpen();
    for (const char* key : {"s:a", "s:b"}) {
      auto begun = setup->Begin(Beg(key));
      ASSERT_TRUE(begun.ok());
      ASSERT_TRUE(setup->Complete(key, begun->fence, Attempt{}, std::nullopt).ok());
    }
  }
  HoldFirstBatch();
  auto store = MustOpen();
  // Another session holds s:b and will ask for s:a once the batch holds s:a and waits for s:b.
  auto params = internal::PgParamsFromUrl(Url());
  ASSERT_TRUE(params.ok());
  auto other = internal::PgConnection::Connect(*params);
  ASSERT_TRUE(other.ok());
  auto query = [&](const std::string& text) {
    return (*other)->Query(internal::OneOff(text)).status();
  };
  ASSERT_TRUE(query("BEGIN").ok());
  ASSERT_TRUE(query("SELECT 1 FROM events WHERE key = 's:b' FOR UPDATE").ok());

  auto blocker = std::async(std::launch::async, [&] { return store->Begin(Beg("s:blocker")); });
  gate_.WaitUntilHeld();
  auto begin_a = std::async(std::launch::async, [&] { return store->Begin(Beg("s:a")); });
  auto begin_b = std::async(std::launch::async, [&] { return store->Begin(Beg("s:b")); });
  ASSERT_TRUE(Eventually([&] { return store->Stats().pending_writes == 2; }));
  gate_.Release();
  ASSERT_TRUE(blocker.get().ok());
  // The batch (s:a, then s:b in key order) now holds s:a and waits for s:b.
  const std::string waiting =
      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
      "application_name = 'hookfence:" +
      params->schema + "'";
  auto probe = internal::PgConnection::Connect(*params);
  ASSERT_TRUE(probe.ok());
  ASSERT_TRUE(Eventually([&] {
    auto rows = (*probe)->Query(internal::OneOff(waiting));
    return rows.ok() && rows->Int(0, 0) == 1;
  }));
  // Closing the cycle: the server aborts the batch (it waited first), which starts over and
  // succeeds once this session commits.
  ASSERT_TRUE(query("SELECT 1 FROM events WHERE key = 's:a' FOR UPDATE").ok());
  ASSERT_TRUE(query("COMMIT").ok());
  auto a = begin_a.get();
  auto b = begin_b.get();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->kind, BeginOutcome::Kind::kCompleted);
  EXPECT_EQ(b->kind, BeginOutcome::Kind::kCompleted);
}

TEST_F(PostgresStoreTest, WritesPastTheQueueBoundAreShedAsOverloaded) {
  options_.max_pending_writes = 1;
  HoldFirstBatch();
  auto store = MustOpen();
  auto blocker = std::async(std::launch::async, [&] { return store->Begin(Beg("s:blocker")); });
  gate_.WaitUntilHeld();
  auto queued = std::async(std::launch::async, [&] { return store->Accept(Acc("s:queued", 30s)); });
  ASSERT_TRUE(Eventually([&] { return store->Stats().pending_writes == 1; }));
  auto shed = store->Accept(Acc("s:shed", 30s));
  EXPECT_EQ(shed.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(shed.status().message().find("overloaded"), std::string::npos);
  gate_.Release();
  ASSERT_TRUE(blocker.get().ok());
  ASSERT_TRUE(queued.get().ok());
  EXPECT_EQ(store->Get("s:shed").status().code(), StatusCode::kNotFound);
}

TEST_F(PostgresStoreTest, CapacityCountsTheRecordsOfEveryStoreOnTheSchema) {
  options_.capacity = 3;
  auto a = MustOpen();
  auto b = MustOpen();
  ASSERT_EQ(a->Accept(Acc("s:1", 30s))->kind, AcceptOutcome::Kind::kInserted);
  ASSERT_EQ(a->Begin(Beg("s:2"))->kind, BeginOutcome::Kind::kAcquired);
  ASSERT_EQ(b->Accept(Acc("s:3", std::nullopt))->kind, AcceptOutcome::Kind::kQueued);
  EXPECT_EQ(a->Accept(Acc("s:4", 30s))->kind, AcceptOutcome::Kind::kFull);
  EXPECT_EQ(b->Begin(Beg("s:4"))->kind, BeginOutcome::Kind::kFull);
  // At capacity a known key is still answered, and a caller's takeover still works.
  EXPECT_EQ(b->Accept(Acc("s:1", 30s))->kind, AcceptOutcome::Kind::kDuplicate);
  auto begun = b->Begin(Beg("s:2"));
  ASSERT_EQ(begun->kind, BeginOutcome::Kind::kInProgress);
  auto held = a->Begin(Beg("s:held"));
  ASSERT_EQ(held->kind, BeginOutcome::Kind::kFull);
  clock_.Advance(1h + options_.max_clock_skew);
  EXPECT_EQ(b->Begin(Beg("s:2"))->kind, BeginOutcome::Kind::kAcquired);
  // A purge through one store makes room for the other.
  ASSERT_TRUE(a->Purge("s:3").ok());
  EXPECT_EQ(b->Accept(Acc("s:4", 30s))->kind, AcceptOutcome::Kind::kInserted);
  EXPECT_EQ(a->Accept(Acc("s:5", 30s))->kind, AcceptOutcome::Kind::kFull);
}

}  // namespace
}  // namespace hookfence::store
