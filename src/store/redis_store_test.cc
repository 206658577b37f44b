#include "src/store/redis_store.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hookfence/fingerprint.h"
#include "src/store/redis_connection.h"
#include "testing/commit_gate.h"
#include "testing/cutting_proxy.h"
#include "testing/scratch_dir.h"
#include "testing/simulated_clock.h"
#include "testing/store_conformance.h"
#include "testing/test_servers.h"

extern char** environ;

namespace hookfence::store {
namespace {

using namespace std::chrono_literals;
using internal::RedisConnection;
using internal::RedisEndpoint;

testing::StoreFactory RedisFactory() {
  return {"Redis",
          [](const StoreOptions& options, const std::string& url) {
            return OpenStore(url + "?prefix=" + testing::UniqueNamespace(), options);
          },
          /*batched=*/true, /*server=*/"REDIS"};
}

HOOKFENCE_STORE_CONFORMANCE(Redis, RedisFactory());

AcceptRequest Acc(const std::string& key, std::optional<Duration> lease = std::nullopt) {
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

RedisEndpoint EndpointOf(const std::string& url) {
  StoreUrl parsed = ParseStoreUrl(url).value();
  RedisEndpoint endpoint;
  endpoint.host = parsed.host;
  endpoint.port = parsed.port;
  endpoint.db = parsed.database.empty() ? 0 : std::stoi(parsed.database);
  return endpoint;
}

// A raw connection for looking behind the store's back (TTLs, settings, the layout key).
std::unique_ptr<RedisConnection> Raw(const std::string& url) {
  auto connection = RedisConnection::Open(EndpointOf(url));
  HF_CHECK(connection.ok());
  return std::move(*connection);
}

long long IntegerReply(RedisConnection& connection, const std::vector<std::string_view>& args) {
  auto reply = connection.Command(args);
  HF_CHECK(reply.ok());
  HF_CHECK(!reply->view().is_error());
  return reply->view().integer();
}

// A port nobody listens on: bound by the kernel's choice, then closed again.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  HF_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  HF_CHECK(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  close(fd);
  return ntohs(address.sin_port);
}

// A redis-server of the test's own, for settings the shared test server must keep (it starts
// durable; the test may reconfigure it freely). Killed, by PID, with the object.
class OwnRedis {
 public:
  static std::unique_ptr<OwnRedis> Start(std::vector<std::string> extra) {
    auto redis = std::unique_ptr<OwnRedis>(new OwnRedis());
    redis->port_ = ClosedPort();
    std::vector<std::string> args = {"redis-server",
                                     "--bind",
                                     "127.0.0.1",
                                     "--port",
                                     std::to_string(redis->port_),
                                     "--dir",
                                     redis->dir_.path(),
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "yes",
                                     "--appendfsync",
                                     "always",
                                     "--logfile",
                                     redis->dir_.File("server.log")};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&redis->pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
      return nullptr;
    }
    // Ready once it answers PING (polled with a deadline: no sleeping).
    RedisEndpoint endpoint;
    endpoint.port = redis->port_;
    endpoint.connect_timeout = 1s;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto connection = RedisConnection::Open(endpoint);
      if (connection.ok()) {
        auto pong = (*connection)->Command({"PING"});
        if (pong.ok() && pong->view().str() == "PONG") return redis;
      }
      std::this_thread::yield();
    }
    return nullptr;
  }

  ~OwnRedis() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  OwnRedis() = default;
  testing::ScratchDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HOOKFENCE_TEST_SERVER_URL(url, "REDIS");
    server_url_ = url;
    prefix_ = testing::UniqueNamespace();
    url_ = server_url_ + "?prefix=" + prefix_;
  }

  Result<std::unique_ptr<Store>> Open() { return OpenStore(url_, options_); }

  std::string server_url_;
  std::string prefix_;
  std::string url_;
  testing::SimulatedClock clock_;
  StoreOptions options_ = [this] {
    StoreOptions o;
    o.clock = &clock_;
    return o;
  }();
};

TEST_F(RedisStoreTest, TwoGatewaysRacingOnOnePrefixHaveOneWinnerPerKeyAndFence) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  Store* stores[2] = {a->get(), b->get()};
  constexpr int kKeys = 40;
  std::mutex mu;
  std::map<std::string, int> inserted, acquired;
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      Store& store = *stores[t % 2];
      for (int i = 0; i < kKeys; ++i) {
        const std::string n = std::to_string((i + t) % kKeys);
        auto accepted = store.Accept(Acc("race:a" + n, 30s));
        auto begun = store.Begin(Beg("race:b" + n));
        if (!accepted.ok() || !begun.ok()) {
          unexpected.fetch_add(1);
          continue;
        }
        std::lock_guard lock(mu);
        if (accepted->kind == AcceptOutcome::Kind::kInserted) {
          ++inserted["race:a" + n];
        } else if (accepted->kind != AcceptOutcome::Kind::kDuplicate) {
          unexpected.fetch_add(1);
        }
        if (begun->kind == BeginOutcome::Kind::kAcquired) {
          ++acquired["race:b" + n];
        } else if (begun->kind != BeginOutcome::Kind::kInProgress) {
          unexpected.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(unexpected.load(), 0);
  ASSERT_EQ(inserted.size(), static_cast<std::size_t>(kKeys));
  ASSERT_EQ(acquired.size(), static_cast<std::size_t>(kKeys));
  for (const auto& [key, count] : inserted) EXPECT_EQ(count, 1) << key;
  for (const auto& [key, count] : acquired) EXPECT_EQ(count, 1) << key;

  // Both gateways' dispatchers claim one backlog: each record once per fence.
  constexpr int kQueued = 600;
  for (int i = 0; i < kQueued; ++i) {
    ASSERT_EQ(stores[i % 2]->Accept(Acc("queue:e" + std::to_string(i)))->kind,
              AcceptOutcome::Kind::kQueued);
  }
  for (std::uint64_t fence : {1u, 2u}) {
    std::map<std::string, int> claimed;
    threads.clear();
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (;;) {
          auto claims = stores[t % 2]->ClaimDue(8, 1min);
          if (!claims.ok()) {
            unexpected.fetch_add(1);
            return;
          }
          if (claims->empty()) return;
          std::lock_guard lock(mu);
          for (const Claim& claim : *claims) {
            ++claimed[claim.record.key];
            if (claim.record.fence != fence) unexpected.fetch_add(1);
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(unexpected.load(), 0);
    // The race:a records' leases lapse too in the second round.
    const std::size_t expected = fence == 1 ? kQueued : kQueued + kKeys;
    EXPECT_EQ(claimed.size(), expected);
    for (const auto& [key, count] : claimed) EXPECT_EQ(count, 1) << key;
    clock_.Advance(1min + options_.max_clock_skew);
  }
}

TEST_F(RedisStoreTest, FinishedRecordsHaveASafetyNetTtlBeyondKeyRetentionUnfinishedNone) {
  options_.key_retention = 2h;
  auto opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& s = **opened;
  auto raw = Raw(server_url_);
  auto pttl = [&](const std::string& key) {
    return IntegerReply(*raw, {"PTTL", prefix_ + ":r:" + key});
  };
  auto done = s.Accept(Acc("s:done", 30s));
  ASSERT_TRUE(s.Complete("s:done", done->fence, Attempt{}, std::nullopt).ok());
  auto dead = s.Accept(Acc("s:dead", 30s));
  FailRequest fail{"s:dead", dead->fence, Attempt{}, "404", true, {}};
  ASSERT_TRUE(s.Fail(fail).ok());
  ASSERT_TRUE(s.Accept(Acc("s:queued")).ok());
  ASSERT_TRUE(s.Begin(Beg("s:held")).ok());

  const long long beyond = std::chrono::duration_cast<std::chrono::milliseconds>(
                               options_.key_retention + options_.dead_retention)
                               .count();
  EXPECT_GT(pttl("s:done"), beyond);
  EXPECT_GT(pttl("s:dead"), beyond);
  EXPECT_EQ(pttl("s:queued"), -1);
  EXPECT_EQ(pttl("s:held"), -1);
  // Replayed, the record is unfinished again: no TTL may take it.
  ASSERT_TRUE(s.Replay("s:dead").ok());
  EXPECT_EQ(pttl("s:dead"), -1);
}

TEST_F(RedisStoreTest, ConcurrentCallsArePipelinedInBatches) {
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        EXPECT_TRUE(s.Accept(Acc("s:t" + std::to_string(t) + "e" + std::to_string(i))).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const StoreStats stats = s.Stats();
  EXPECT_EQ(stats.batched_operations, 640u);
  EXPECT_LT(stats.batches, stats.batched_operations);
  std::uint64_t bucketed = 0;
  for (std::uint64_t n : stats.batch_sizes) bucketed += n;
  EXPECT_EQ(bucketed, stats.batches);
  EXPECT_EQ(stats.pending_writes, 0u);
  std::cout << "[ batching ] " << stats.batched_operations << " writes in " << stats.batches
            << " pipelines\n";
}

TEST_F(RedisStoreTest, PastMaxPendingWritesCallsFailFastAsOverloaded) {
  testing::CommitGate gate;
  options_.max_pending_writes = 1;
  options_.before_commit_for_testing = gate.Hook();
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  auto held = std::async(std::launch::async, [&] { return s.Accept(Acc("s:held")); });
  gate.WaitUntilHeld();
  auto queued = std::async(std::launch::async, [&] { return s.Accept(Acc("s:queued")); });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (s.Stats().pending_writes < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(s.Stats().pending_writes, 1u);
  auto refused = s.Accept(Acc("s:refused"));
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("overloaded"), std::string::npos);
  gate.Release();
  EXPECT_TRUE(held.get().ok());
  EXPECT_TRUE(queued.get().ok());
  EXPECT_EQ(s.Get("s:refused").status().code(), StatusCode::kNotFound);
}

TEST_F(RedisStoreTest, UnreachableServerIsUnavailableQuicklyAndNeverShowsThePassword) {
  const std::string url = "redis://hookfence:s3cret-pw@127.0.0.1:" + std::to_string(ClosedPort()) +
                          "/0?connect_timeout=2s";
  const auto start = std::chrono::steady_clock::now();
  auto opened = OpenStore(url, options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable) << opened.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(opened.status().message().find("s3cret-pw"), std::string::npos) << opened.status();
  EXPECT_NE(opened.status().message().find("127.0.0.1"), std::string::npos) << opened.status();

  // A password the server refuses: unauthenticated, and still not in the message.
  StoreUrl parsed = ParseStoreUrl(server_url_).value();
  auto refused = OpenStore(
      "redis://:wrong-pw@127.0.0.1:" + std::to_string(parsed.port) + "/0?prefix=" + prefix_,
      options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated) << refused.status();
  EXPECT_EQ(refused.status().message().find("wrong-pw"), std::string::npos) << refused.status();
}

TEST_F(RedisStoreTest, BadOptionsAreInvalidArguments) {
  for (const std::string& bad :
       {server_url_ + "?prefix=" + prefix_ + "&colour=blue", server_url_ + "?pool_size=0",
        server_url_ + "?connect_timeout=soon", server_url_ + "?command_timeout=0s",
        server_url_ + "?prefix=", std::string("redis://127.0.0.1:1/not-a-db")}) {
    auto opened = OpenStore(bad, options_);
    ASSERT_FALSE(opened.ok()) << bad;
    EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument)
        << bad << ": " << opened.status();
  }
  auto unknown = OpenStore(server_url_ + "?colour=blue", options_);
  EXPECT_NE(unknown.status().message().find("colour"), std::string::npos) << unknown.status();
  EXPECT_TRUE(
      OpenStore(url_ + "&pool_size=2&connect_timeout=500ms&command_timeout=3s", options_).ok());
}

TEST_F(RedisStoreTest, ReconnectsByItselfWhenTheServerReturns) {
  StoreUrl parsed = ParseStoreUrl(server_url_).value();
  auto proxy = testing::CuttingProxy::Start("127.0.0.1", parsed.port);
  ASSERT_TRUE(proxy.ok());
  auto opened = OpenStore(testing::UrlThroughProxy(url_, (*proxy)->port()), options_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& s = **opened;
  ASSERT_EQ(s.Accept(Acc("s:before", 30s))->kind, AcceptOutcome::Kind::kInserted);
  ASSERT_TRUE(s.Get("s:before").ok());

  (*proxy)->SetDown(true);
  EXPECT_EQ(s.Accept(Acc("s:during")).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.Get("s:before").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.CountQueues().status().code(), StatusCode::kUnavailable);

  (*proxy)->SetDown(false);
  EXPECT_EQ(s.Accept(Acc("s:after"))->kind, AcceptOutcome::Kind::kQueued);
  EXPECT_EQ(s.Accept(Acc("s:before", 30s))->kind, AcceptOutcome::Kind::kDuplicate);
  EXPECT_TRUE(s.Get("s:after").ok());
}

TEST_F(RedisStoreTest, ALostScriptCacheIsReloaded) {
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  ASSERT_EQ(s.Accept(Acc("s:one", 30s))->kind, AcceptOutcome::Kind::kInserted);
  auto raw = Raw(server_url_);
  ASSERT_TRUE(raw->Command({"SCRIPT", "FLUSH"}).ok());  // as after a restart without the cache
  EXPECT_EQ(s.Accept(Acc("s:two", 30s))->kind, AcceptOutcome::Kind::kInserted);
  ASSERT_TRUE(raw->Command({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(s.CountQueues()->leased, 2u);
}

TEST_F(RedisStoreTest, LayoutVersionIsRecordedOnceAndANewerIncompatibleOneIsRefused) {
  auto first = MigrateStore(url_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version_before, 0);
  EXPECT_EQ(first->version_after, 1);
  EXPECT_EQ(first->applied, std::vector<std::string>{"0001_layout"});
  auto again = MigrateStore(url_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version_before, 1);
  EXPECT_EQ(again->version_after, 1);
  EXPECT_TRUE(again->applied.empty());

  auto raw = Raw(server_url_);
  const std::string layout = prefix_ + ":layout";
  // A newer release that this build's code still works with (a rolling upgrade): served.
  IntegerReply(*raw, {"HSET", layout, "version", "7", "readable_by", "1"});
  EXPECT_TRUE(Open().ok());
  // One that needs newer code: refused, naming the versions.
  IntegerReply(*raw, {"HSET", layout, "readable_by", "7"});
  auto refused = Open();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("7"), std::string::npos) << refused.status();
}

TEST_F(RedisStoreTest, SweepForgetsARecordTheSafetyNetTtlTookAndFreesItsRoom) {
  options_.capacity = 1;
  options_.retention = 1h;
  options_.key_retention = 2h;
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  auto done = s.Accept(Acc("s:gone", 30s));
  ASSERT_TRUE(s.Complete("s:gone", done->fence, Attempt{}, std::nullopt).ok());
  // As if the TTL fired: the hash is gone, its index entries and the count are not.
  auto raw = Raw(server_url_);
  ASSERT_EQ(IntegerReply(*raw, {"DEL", prefix_ + ":r:s:gone"}), 1);
  EXPECT_EQ(s.Get("s:gone").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.List(ListFilter{})->records.empty());
  EXPECT_EQ(s.Accept(Acc("s:new", 30s))->kind, AcceptOutcome::Kind::kFull);
  clock_.Advance(1h);
  ASSERT_TRUE(s.Sweep().ok());
  EXPECT_EQ(s.Accept(Acc("s:new", 30s))->kind, AcceptOutcome::Kind::kInserted);
  EXPECT_EQ(IntegerReply(*raw, {"ZCARD", prefix_ + ":all"}), 1);
}

TEST_F(RedisStoreTest, ListPagesThroughMoreThanOneScriptsWorthOfRecords) {
  auto opened = Open();
  ASSERT_TRUE(opened.ok());
  Store& s = **opened;
  constexpr int kRecords = 4500;  // more than two scripts' budgets
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kRecords; i += 8) {
        EXPECT_TRUE(s.Accept(Acc("s:e" + std::to_string(i))).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Claim everything, complete only the record received last: the filter matches nothing for
  // thousands of records and then one.
  std::uint64_t last_seq = 0;
  std::uint64_t last_fence = 0;
  std::string last_key;
  for (;;) {
    auto claims = s.ClaimDue(1000, 1h);
    ASSERT_TRUE(claims.ok());
    if (claims->empty()) break;
    for (const Claim& c : *claims) {
      if (c.record.seq > last_seq) {
        last_seq = c.record.seq;
        last_fence = c.record.fence;
        last_key = c.record.key;
      }
    }
  }
  ASSERT_TRUE(s.Complete(last_key, last_fence, Attempt{}, std::nullopt).ok());
  ListFilter completed;
  completed.state = State::kCompleted;
  auto page = s.List(completed);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].key, last_key);
  EXPECT_TRUE(page->next_cursor.empty());
  ListFilter in_progress;
  in_progress.state = State::kInProgress;
  in_progress.limit = 1000;
  std::size_t listed = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto next = s.List(in_progress);
    ASSERT_TRUE(next.ok());
    listed += next->records.size();
    if (next->next_cursor.empty()) break;
    in_progress.cursor = next->next_cursor;
  }
  EXPECT_EQ(listed, static_cast<std::size_t>(kRecords - 1));
}

TEST_F(RedisStoreTest, TheUrlPathSelectsTheDatabase) {
  StoreUrl parsed = ParseStoreUrl(server_url_).value();
  const std::string db3 =
      "redis://127.0.0.1:" + std::to_string(parsed.port) + "/3?prefix=" + prefix_;
  auto opened = OpenStore(db3, options_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_TRUE((*opened)->Accept(Acc("s:e")).ok());
  auto in_db0 = Raw(server_url_);
  EXPECT_EQ(IntegerReply(*in_db0, {"EXISTS", prefix_ + ":r:s:e"}), 0);
  ASSERT_TRUE(in_db0->Command({"SELECT", "3"}).ok());
  EXPECT_EQ(IntegerReply(*in_db0, {"EXISTS", prefix_ + ":r:s:e"}), 1);
}

// The durability check runs against a server of the test's own: the shared one must stay
// durable for the tests running beside this one.
class RedisDurabilityTest : public RedisStoreTest {
 protected:
  void SetUp() override {
    RedisStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    own_ = OwnRedis::Start(extra_);
    ASSERT_NE(own_, nullptr) << "could not start redis-server";
  }

  std::vector<std::string> extra_;
  std::unique_ptr<OwnRedis> own_;
};

TEST_F(RedisDurabilityTest, OpenRefusesAServerThatMayLoseAcknowledgedWrites) {
  const std::string url = own_->url() + "?prefix=" + prefix_;
  ASSERT_TRUE(OpenStore(url, options_).ok());
  auto raw = Raw(own_->url());

  ASSERT_TRUE(raw->Command({"CONFIG", "SET", "appendfsync", "everysec"}).ok());
  auto refused = OpenStore(url, options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("appendfsync everysec"), std::string::npos)
      << refused.status();
  EXPECT_NE(refused.status().message().find("volatile = true"), std::string::npos);
  StoreOptions volatile_ok = options_;
  volatile_ok.allow_volatile = true;
  EXPECT_TRUE(OpenStore(url, volatile_ok).ok());

  ASSERT_TRUE(raw->Command({"CONFIG", "SET", "appendfsync", "always"}).ok());
  ASSERT_TRUE(raw->Command({"CONFIG", "SET", "appendonly", "no"}).ok());
  refused = OpenStore(url, options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("appendonly no"), std::string::npos)
      << refused.status();
  EXPECT_TRUE(OpenStore(url, volatile_ok).ok());
}

class RedisWithoutConfigTest : public RedisDurabilityTest {
 protected:
  RedisWithoutConfigTest() { extra_ = {"--rename-command", "CONFIG", ""}; }
};

TEST_F(RedisWithoutConfigTest, OpenRefusesWhenTheSettingsCannotBeReadUnlessVolatile) {
  const std::string url = own_->url() + "?prefix=" + prefix_;
  auto refused = OpenStore(url, options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("CONFIG"), std::string::npos) << refused.status();
  EXPECT_NE(refused.status().message().find("volatile = true"), std::string::npos);
  StoreOptions volatile_ok = options_;
  volatile_ok.allow_volatile = true;
  auto opened = OpenStore(url, volatile_ok);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->Accept(Acc("s:e", 30s))->kind, AcceptOutcome::Kind::kInserted);
}

}  // namespace
}  // namespace hookfence::store
