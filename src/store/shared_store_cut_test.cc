// A connection to a shared store's server broken in the middle of a batch leaves no claim
// half-made: every record is either written whole (with its fence and payload) or not at all,
// a batch of ClaimDue is taken whole or not at all, and the caller that got an error can simply
// retry. The connections run through a CuttingProxy that resets them after a chosen number of
// bytes, so the cut lands inside pipelined or multi-statement batches. Runs against every shared
// backend's test server (testing/test_servers.h).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hookfence/fingerprint.h"
#include "hookfence/store.h"
#include "src/store/store_url.h"
#include "testing/cutting_proxy.h"
#include "testing/simulated_clock.h"
#include "testing/test_servers.h"

namespace hookfence::store {
namespace {

using namespace std::chrono_literals;
using testing::CuttingProxy;

std::string Body(const std::string& key) {
  return R"({"id":")" + key + R"(","amount":4200,"padding":")" + std::string(600, 'x') + R"("})";
}

// Opens a fresh namespace on the backend's test server, directly and through a proxy.
class SharedStoreCutTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    HOOKFENCE_TEST_SERVER_URL(server_url, GetParam());
    auto fresh = testing::FreshStoreUrl(GetParam(), server_url);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    const std::string url = *fresh;
    auto parsed = ParseStoreUrl(url);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    auto proxy =
        CuttingProxy::Start(parsed->host.empty() ? "127.0.0.1" : parsed->host, parsed->port);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    StoreOptions options;
    options.clock = &clock_;
    auto direct = OpenStore(url, options);
    ASSERT_TRUE(direct.ok()) << direct.status();
    direct_ = std::move(*direct);
    auto through = OpenStore(testing::UrlThroughProxy(url, proxy_->port()), options);
    ASSERT_TRUE(through.ok()) << through.status();
    through_ = std::move(*through);
  }

  std::string Key(const std::string& name) const { return "cut:" + name; }

  testing::SimulatedClock clock_;
  std::unique_ptr<CuttingProxy> proxy_;
  std::unique_ptr<Store> direct_;   // the truth, read without the proxy
  std::unique_ptr<Store> through_;  // the store whose connections are cut
};

TEST_P(SharedStoreCutTest, BeginsCutMidBatchAreWholeOrAbsentAndRetrySafely) {
  constexpr int kThreads = 16;
  constexpr int kKeysPerThread = 25;
  std::mutex mu;
  std::map<std::string, StatusCode> answers;  // kOk: Acquired
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kKeysPerThread; ++i) {
        const std::string key = Key("b" + std::to_string(t) + "_" + std::to_string(i));
        BeginRequest request{key, Fingerprint(Body(key)), 1h, Payload{Body(key), {}}};
        auto outcome = through_->Begin(std::move(request));
        StatusCode code = outcome.status().code();
        if (outcome.ok() && outcome->kind != BeginOutcome::Kind::kAcquired) {
          code = StatusCode::kInternal;  // a new key must be Acquired or fail
        }
        {
          std::lock_guard lock(mu);
          answers[key] = code;
        }
        ++done;
      }
    });
  }
  // Cut every open connection a few hundred bytes into whatever it sends next, several times
  // while the calls run (the thresholds are progress, not time).
  std::mt19937 rng(7);
  for (int threshold : {40, 120, 200, 280, 360}) {
    while (done.load() < threshold) std::this_thread::yield();
    proxy_->CutAfterClientBytes(100 + rng() % 900);
  }
  for (auto& thread : threads) thread.join();

  int failed = 0;
  int landed_despite_error = 0;
  for (const auto& [key, code] : answers) {
    ASSERT_NE(code, StatusCode::kInternal) << key;
    auto record = direct_->Get(key);
    if (code == StatusCode::kOk) {
      ASSERT_TRUE(record.ok()) << key << " was acquired but is not stored: " << record.status();
    } else {
      ++failed;
      EXPECT_EQ(code, StatusCode::kUnavailable) << key;
      if (!record.ok()) {
        EXPECT_EQ(record.status().code(), StatusCode::kNotFound) << key << record.status();
        continue;
      }
      ++landed_despite_error;  // the commit went through; only its answer was lost
    }
    // Whatever is stored is whole: the claim's state, fence, lease and payload together.
    EXPECT_EQ(record->state, State::kInProgress) << key;
    EXPECT_EQ(record->fence, 1u) << key;
    EXPECT_TRUE(record->lease_until.has_value()) << key;
    ASSERT_TRUE(record->payload.has_value()) << key;
    EXPECT_EQ(record->payload->body, Body(key)) << key;
    EXPECT_EQ(record->fingerprint, Fingerprint(Body(key))) << key;
  }
  // Backends that run a transaction again when its connection broke before COMMIT (MySQL) hide
  // the cut from the caller; the others report it as kUnavailable.
  EXPECT_GT(proxy_->cuts(), 0u) << "no connection was cut: the test proved nothing";
  // The callers that got an error retry: each gets a clean answer, never a second owner.
  for (const auto& [key, code] : answers) {
    if (code == StatusCode::kOk) continue;
    BeginRequest request{key, Fingerprint(Body(key)), 1h, Payload{Body(key), {}}};
    auto retry = direct_->Begin(std::move(request));
    ASSERT_TRUE(retry.ok()) << key << ": " << retry.status();
    EXPECT_TRUE(retry->kind == BeginOutcome::Kind::kAcquired ||
                retry->kind == BeginOutcome::Kind::kInProgress)
        << key;
  }
  std::cout << "[ " << GetParam() << " ] " << answers.size() << " Begins, " << failed << " failed ("
            << landed_despite_error << " of them committed before the cut), " << proxy_->cuts()
            << " connections cut\n";
}

TEST_P(SharedStoreCutTest, ClaimDueCutMidBatchClaimsAllOrNothing) {
  constexpr int kQueued = 64;
  for (int i = 0; i < kQueued; ++i) {
    const std::string key = Key("q" + std::to_string(i));
    AcceptRequest request{key, Fingerprint(Body(key)), Payload{Body(key), {}}, std::nullopt, ""};
    auto accepted = direct_->Accept(std::move(request));
    ASSERT_TRUE(accepted.ok() && accepted->kind == AcceptOutcome::Kind::kQueued);
  }
  int cut = 0;
  std::size_t claimed = 0;
  // Cut the connection at a different depth into each claim until one claim fails.
  for (std::size_t bytes : {20u, 60u, 150u, 400u}) {
    proxy_->CutAfterClientBytes(bytes);
    auto claims = through_->ClaimDue(32, 1h);
    if (claims.ok()) {
      claimed += claims->size();
      continue;
    }
    ++cut;
    EXPECT_EQ(claims.status().code(), StatusCode::kUnavailable) << claims.status();
  }
  // Every in-progress record is one a caller was handed, or a whole batch whose answer the cut
  // lost (at most 32 per lost answer); none is half-claimed.
  ListFilter filter;
  filter.state = State::kInProgress;
  filter.limit = 1000;
  auto in_progress = direct_->List(filter);
  ASSERT_TRUE(in_progress.ok());
  std::size_t mine = 0;
  for (const Record& record : in_progress->records) {
    ++mine;
    auto full = direct_->Get(record.key);
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(full->fence, 1u);
    EXPECT_TRUE(full->lease_until.has_value());
    EXPECT_EQ(full->payload->body, Body(record.key));
  }
  EXPECT_GE(mine, claimed);
  EXPECT_EQ((mine - claimed) % 32, 0u) << mine << " in progress, " << claimed << " handed out";
  // What was neither handed out nor lost with an answer is still due, once.
  auto rest = direct_->ClaimDue(1000, 1h);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(mine + rest->size(), static_cast<std::size_t>(kQueued));
  EXPECT_GT(proxy_->cuts(), 0u) << "no connection was cut: the test proved nothing";
  std::cout << "[ " << GetParam() << " ] " << cut << " of 4 claims failed, " << proxy_->cuts()
            << " connections cut, " << mine << " records in progress\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedStoreCutTest,
                         ::testing::Values("POSTGRES", "REDIS", "MYSQL"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace hookfence::store
