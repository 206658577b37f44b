#include "src/store/mysql_store.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hookfence/fingerprint.h"
#include "src/store/migration.h"
#include "src/store/mysql_connection.h"
#include "testing/commit_gate.h"
#include "testing/cutting_proxy.h"
#include "testing/simulated_clock.h"
#include "testing/store_conformance.h"
#include "testing/test_servers.h"

namespace hookfence::store {
namespace {

using namespace std::chrono_literals;
using AcceptKind = AcceptOutcome::Kind;
using BeginKind = BeginOutcome::Kind;

// `url` with its database replaced by `database`.
std::string WithDatabase(const std::string& url, const std::string& database) {
  const auto authority = url.find("://") + 3;
  const auto path = url.find_first_of("/?", authority);
  if (path == std::string::npos) return url + "/" + database;
  const auto query = url.find('?', path);
  return url.substr(0, path) + "/" + database +
         (query == std::string::npos ? "" : url.substr(query));
}

// Runs text SQL on the database of `url`.
Status ExecSql(const std::string& url, const std::string& sql) {
  HF_ASSIGN_OR_RETURN(StoreUrl parsed, ParseStoreUrl(url));
  HF_ASSIGN_OR_RETURN(auto params, internal::MysqlParamsFromUrl(parsed));
  HF_ASSIGN_OR_RETURN(auto db, internal::MysqlConnection::Connect(params));
  return db->Exec(sql);
}

// A new, empty database on the test server; the URL that names it.
Result<std::string> FreshDatabase(const std::string& server_url) {
  return testing::FreshStoreUrl("MYSQL", server_url);
}

testing::StoreFactory MysqlFactory() {
  return {"Mysql",
          [](const StoreOptions& options,
             const std::string& server_url) -> Result<std::unique_ptr<Store>> {
            HF_ASSIGN_OR_RETURN(std::string url, FreshDatabase(server_url));
            return OpenStore(url, options);
          },
          /*batched=*/true, /*server=*/"MYSQL"};
}

HOOKFENCE_STORE_CONFORMANCE(Mysql, MysqlFactory());

AcceptRequest Acc(const std::string& key, std::optional<Duration> lease) {
  AcceptRequest r;
  r.key = key;
  r.payload.body = "{\"id\":\"" + key + "\"}";
  r.payload.headers = {{"content-type", "application/json"}};
  r.fingerprint = Fingerprint(r.payload.body);
  r.lease = lease;
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

// A port on 127.0.0.1 that nothing listens on.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Polls `done` until it holds or 30 s pass.
template <typename F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class MysqlStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HOOKFENCE_TEST_SERVER_URL(server, "MYSQL");
    server_ = server;
    auto url = FreshDatabase(server_);
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    options_.clock = &clock_;
  }

  std::unique_ptr<Store> Open(const std::string& url) {
    auto opened = OpenStore(url, options_);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  std::string server_;
  std::string url_;
  testing::SimulatedClock clock_;
  StoreOptions options_;
};

// Two gateways (two stores, two connection pools) on one database: the database alone decides,
// so each key has exactly one winner and each due record is claimed once per fence.
TEST_F(MysqlStoreTest, TwoStoresRacingOnOneDatabaseAgree) {
  auto a = Open(url_);
  auto b = Open(url_);
  ASSERT_TRUE(a && b);
  Store* stores[2] = {a.get(), b.get()};
  constexpr int kKeys = 40;
  constexpr int kThreads = 32;
  std::atomic<int> inserted{0}, acquired{0}, duplicates{0}, in_progress{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = *stores[t % 2];
      for (int i = 0; i < kKeys; ++i) {
        // Threads walk the keys in different orders, so the two stores' batches overlap.
        const int k = (i + t * 7) % kKeys;
        auto accepted = store.Accept(Acc("a:k" + std::to_string(k), 1h));
        if (!accepted.ok()) {
          errors.fetch_add(1);
        } else if (accepted->kind == AcceptKind::kInserted) {
          inserted.fetch_add(1);
        } else if (accepted->kind == AcceptKind::kDuplicate) {
          duplicates.fetch_add(1);
        }
        auto begun = store.Begin(Beg("b:k" + std::to_string(k)));
        if (!begun.ok()) {
          errors.fetch_add(1);
        } else if (begun->kind == BeginKind::kAcquired) {
          acquired.fetch_add(1);
        } else if (begun->kind == BeginKind::kInProgress) {
          in_progress.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(inserted.load(), kKeys);
  EXPECT_EQ(duplicates.load(), (kThreads - 1) * kKeys);
  EXPECT_EQ(acquired.load(), kKeys);
  EXPECT_EQ(in_progress.load(), (kThreads - 1) * kKeys);

  // Queued records claimed by dispatchers of both stores at once.
  constexpr int kDue = 400;
  for (int i = 0; i < kDue; ++i) {
    auto queued = stores[i % 2]->Accept(Acc("q:e" + std::to_string(i), std::nullopt));
    ASSERT_TRUE(queued.ok() && queued->kind == AcceptKind::kQueued);
  }
  auto claim_all = [&](std::uint64_t fence) {
    std::mutex mu;
    std::map<std::string, int> seen;
    std::atomic<int> bad{0};
    std::vector<std::thread> dispatchers;
    for (int t = 0; t < 8; ++t) {
      dispatchers.emplace_back([&, t] {
        for (;;) {
          auto claims = stores[t % 2]->ClaimDue(8, 10min);
          if (!claims.ok()) {
            bad.fetch_add(1);
            return;
          }
          if (claims->empty()) return;
          std::lock_guard lock(mu);
          for (const Claim& c : *claims) {
            ++seen[c.record.key];
            if (c.record.fence != fence) bad.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : dispatchers) t.join();
    EXPECT_EQ(bad.load(), 0);
    return seen;
  };
  auto first = claim_all(1);
  EXPECT_EQ(first.size(), static_cast<std::size_t>(kDue));
  for (const auto& [key, count] : first) EXPECT_EQ(count, 1) << key;
  // Every lease lapses, the accepted-with-lease records' too: each once more, next fence.
  clock_.Advance(1h + options_.max_clock_skew);
  auto second = claim_all(2);
  EXPECT_EQ(second.size(), static_cast<std::size_t>(kDue + kKeys));
  for (const auto& [key, count] : second) EXPECT_EQ(count, 1) << key;
}

// A claim must lock only the records it hands out. A lapsed lease's record is IN_PROGRESS with no
// due_at: in the PENDING-by-due_at index it sits right after the PENDING range, where a range
// scan with FOR UPDATE reads (and locks) it while finding that range's end. Two dispatchers then
// skipped it each because of the other's lock (one held the row, the other its lease index
// entry) and both answered empty: the record was handed out to nobody.
TEST_F(MysqlStoreTest, TwoDispatchersRacingForOneLapsedLeaseHandItOutOnce) {
  auto a = Open(url_);
  auto b = Open(url_);
  ASSERT_TRUE(a && b);
  Store* stores[2] = {a.get(), b.get()};
  for (int round = 0; round < 150; ++round) {
    const std::string key = "a:lapsed" + std::to_string(round);
    auto accepted = a->Accept(Acc(key, 1s));
    ASSERT_TRUE(accepted.ok() && accepted->kind == AcceptKind::kInserted);
    clock_.Advance(1s + options_.max_clock_skew);
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::future<Result<std::vector<Claim>>>> claims;
    for (Store* store : stores) {
      claims.push_back(std::async(std::launch::async, [store, start] {
        start.wait();
        return store->ClaimDue(8, 10min);
      }));
    }
    go.set_value();
    std::size_t handed_out = 0;
    for (auto& claim : claims) {
      auto got = claim.get();
      ASSERT_TRUE(got.ok()) << got.status();
      handed_out += got->size();
    }
    // Nothing else holds the record: the one of the two that does not get it only skipped it
    // because the other one held it to claim it.
    ASSERT_EQ(handed_out, 1u) << "round " << round;
    ASSERT_TRUE(a->Purge(key).ok());
  }
}

TEST_F(MysqlStoreTest, MigrationsRaceOnceAndOnlyAnIncompatibleSchemaIsRefused) {
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  auto migrate = [&] {
    start.wait();
    return MigrateStore(url_);
  };
  auto first = std::async(std::launch::async, migrate);
  auto second = std::async(std::launch::async, migrate);
  go.set_value();
  auto one = first.get();
  auto two = second.get();
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(two.ok()) << two.status();
  const auto known = internal::kMysqlMigrations.size();
  // One applied everything, the other waited for the lock and found nothing to do.
  EXPECT_EQ(one->applied.size() + two->applied.size(), known);
  EXPECT_TRUE(one->applied.empty() || two->applied.empty());
  EXPECT_EQ(one->version_after, static_cast<int>(known));
  EXPECT_EQ(two->version_after, static_cast<int>(known));
  const auto& winner = one->applied.empty() ? *two : *one;
  EXPECT_EQ(winner.version_before, 0);
  EXPECT_EQ(winner.applied.front(), "0001_init");
  auto again = MigrateStore(url_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->applied.empty());

  // A newer release migrated the database and says this build's code still works with it (a
  // rolling upgrade): this build keeps serving.
  ASSERT_TRUE(ExecSql(url_, "UPDATE hookfence_schema SET version = 9999").ok());
  auto store = Open(url_);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Accept(Acc("s:e", 10s))->kind, AcceptKind::kInserted);
  store.reset();
  // A newer release whose schema this build cannot use: refused, naming the versions.
  ASSERT_TRUE(ExecSql(url_, "UPDATE hookfence_schema SET readable_by = 9999").ok());
  auto refused = OpenStore(url_, options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("9999"), std::string::npos) << refused.status();
  EXPECT_EQ(MigrateStore(url_).status().code(), StatusCode::kFailedPrecondition);
}

// Concurrent Begins share transactions: while the writer commits one batch, the next calls
// queue up and go out together in the next one.
TEST_F(MysqlStoreTest, ConcurrentBeginsShareGroupCommits) {
  constexpr int kCalls = 32;
  testing::CommitGate gate;  // holds the first batch until the others queue
  options_.before_commit_for_testing = gate.Hook();
  auto store = Open(url_);
  ASSERT_TRUE(store);
  auto blocker = std::async(std::launch::async, [&] { return store->Begin(Beg("s:first")); });
  gate.WaitUntilHeld();
  std::vector<std::future<Result<BeginOutcome>>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::async(std::launch::async,
                               [&, i] { return store->Begin(Beg("s:e" + std::to_string(i))); }));
  }
  ASSERT_TRUE(Eventually([&] { return store->Stats().pending_writes == kCalls; }));
  gate.Release();
  ASSERT_TRUE(blocker.get().ok());
  for (auto& call : calls) {
    auto outcome = call.get();
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(outcome->kind, BeginKind::kAcquired);
  }
  const StoreStats stats = store->Stats();
  EXPECT_EQ(stats.batched_operations, static_cast<std::uint64_t>(kCalls + 1));
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.batch_sizes[5], 1u);  // the 32 calls: one batch in the (16, 32] bucket
}

// A batch that meets a lock wait timeout is run again rather than failed: its callers never see
// the conflict.
TEST_F(MysqlStoreTest, ABatchHitByALockWaitTimeoutIsRunAgain) {
  const std::string url = url_ + "?lock_wait_timeout=1";
  auto store = Open(url);
  ASSERT_TRUE(store);
  auto begun = store->Begin(Beg("s:held"));
  ASSERT_TRUE(begun.ok());
  ASSERT_TRUE(store->Release("s:held", begun->fence).ok());

  // Another client holds the row, so the store's first run waits, times out, and runs again.
  auto parsed = ParseStoreUrl(url);
  auto params = internal::MysqlParamsFromUrl(*parsed);
  auto holder = internal::MysqlConnection::Connect(*params);
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE((*holder)->Exec("START TRANSACTION").ok());
  ASSERT_TRUE((*holder)->Exec("SELECT seq FROM events WHERE event_key = 's:held' FOR UPDATE").ok());
  auto taken = std::async(std::launch::async, [&] { return store->Begin(Beg("s:held")); });

  auto watcher = internal::MysqlConnection::Connect(*params);
  ASSERT_TRUE(watcher.ok());
  // How long the store's INSERT has been waiting (MariaDB's processlist.TIME_MS).
  auto waited_ms = [&]() -> std::optional<std::int64_t> {
    auto rows = (*watcher)->Query(
        "SELECT CAST(TIME_MS AS SIGNED) FROM information_schema.processlist "
        "WHERE INFO LIKE 'INSERT INTO events%'");
    if (!rows.ok() || rows->empty()) return std::nullopt;
    return (*rows)[0].Int(0);
  };
  std::int64_t longest = 0;
  ASSERT_TRUE(Eventually([&] {
    longest = std::max(longest, waited_ms().value_or(0));
    return longest >= 500;
  }));
  // The wait starts over: the first run timed out and the batch runs again.
  ASSERT_TRUE(Eventually([&] {
    auto ms = waited_ms();
    return ms && *ms + 200 < longest;
  }));
  ASSERT_TRUE((*holder)->Exec("ROLLBACK").ok());
  auto outcome = taken.get();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, BeginKind::kAcquired);
  EXPECT_EQ(outcome->fence, begun->fence + 1);
}

TEST_F(MysqlStoreTest, UnreachableServerIsUnavailableAtOnceAndNeverShowsThePassword) {
  const std::string url =
      "mysql://hookfence:s3cret-pw@127.0.0.1:" + std::to_string(ClosedPort()) + "/db";
  const auto start = std::chrono::steady_clock::now();
  auto opened = OpenStore(url, options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(opened.status().message().find("s3cret-pw"), std::string::npos) << opened.status();
  EXPECT_NE(opened.status().message().find("127.0.0.1"), std::string::npos) << opened.status();
  auto migrated = MigrateStore(url);
  EXPECT_EQ(migrated.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(migrated.status().message().find("s3cret-pw"), std::string::npos);
}

TEST_F(MysqlStoreTest, BadOptionsAreInvalidArguments) {
  for (const char* option : {"?bogus=1", "?pool_size=0", "?pool_size=x", "?connect_timeout=-1",
                             "?io_timeout=5&lock_wait_timeout=10"}) {
    auto opened = OpenStore(url_ + option, options_);
    ASSERT_FALSE(opened.ok()) << option;
    EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument) << option;
  }
  auto bogus = OpenStore(url_ + "?bogus=1", options_);
  EXPECT_NE(bogus.status().message().find("bogus"), std::string::npos) << bogus.status();
  EXPECT_EQ(OpenStore(WithDatabase(url_, ""), options_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Open(url_ + "?pool_size=2&connect_timeout=3s&io_timeout=20&lock_wait_timeout=5s"));
  // mariadb:// names the same backend.
  auto mariadb = Open("mariadb" + url_.substr(url_.find("://")));
  ASSERT_TRUE(mariadb);
  EXPECT_EQ(mariadb->Accept(Acc("s:e", 10s))->kind, AcceptKind::kInserted);
}

// While the server is unreachable every call answers kUnavailable; once it is back the store
// reconnects by itself (its broken connections were discarded, not reused).
TEST_F(MysqlStoreTest, ReconnectsWhenTheServerComesBack) {
  auto parsed = ParseStoreUrl(url_);
  ASSERT_TRUE(parsed.ok());
  auto proxy = testing::CuttingProxy::Start(parsed->host, parsed->port);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto store = Open(testing::UrlThroughProxy(url_, (*proxy)->port()));
  ASSERT_TRUE(store);
  ASSERT_EQ(store->Accept(Acc("s:before", 10s))->kind, AcceptKind::kInserted);
  ASSERT_TRUE(store->Get("s:before").ok());

  (*proxy)->SetDown(true);
  EXPECT_EQ(store->Accept(Acc("s:during", 10s)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Get("s:before").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->ClaimDue(10, 10s).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Complete("s:before", 1, Attempt{}, std::nullopt).code(),
            StatusCode::kUnavailable);

  (*proxy)->SetDown(false);
  const std::size_t before = (*proxy)->connections_accepted();
  auto after = store->Accept(Acc("s:after", 10s));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->kind, AcceptKind::kInserted);
  EXPECT_TRUE(store->Get("s:before").ok());
  EXPECT_TRUE(store->Complete("s:before", 1, Attempt{}, std::nullopt).ok());
  EXPECT_GT((*proxy)->connections_accepted(), before);
  EXPECT_EQ(store->Get("s:during").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hookfence::store
