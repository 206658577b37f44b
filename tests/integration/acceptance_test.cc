// The gateway's acceptance semantics over real sockets (DESIGN §5): every status code, dedup
// under concurrency, the store's failures, the admin API and the operational endpoints.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "hookfence/fingerprint.h"
#include "hookfence/keys.h"
#include "testing/test_sink.h"
#include "tests/integration/gateway_fixture.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class AcceptanceTest : public GatewayFixture {
 protected:
  void SetUp() override { StartGateway(DefaultConfig()); }
  const server::SourceConfig& hooks() const { return config_.sources[0]; }
  std::string Body(const std::string& id) { return R"({"id":")" + id + R"(","n":1})"; }
};

TEST_F(AcceptanceTest, AcceptsOnceThenAnswersDuplicate) {
  auto first = PostSigned(hooks(), Body("e1"), "e1");
  EXPECT_EQ(first.status, 200);
  EXPECT_TRUE(Contains(first.body, R"("status":"accepted")")) << first.body;
  auto record = store_->Get("hooks:e1");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->payload->body, Body("e1"));
  EXPECT_EQ(record->fingerprint, Fingerprint(Body("e1")));
  // The forwarded headers keep the id header and content type, never the signature.
  bool has_signature = false, has_id = false;
  for (const auto& [name, value] : record->payload->headers) {
    if (strcasecmp(name.c_str(), "X-Signature") == 0) has_signature = true;
    if (strcasecmp(name.c_str(), "X-Webhook-Id") == 0) has_id = true;
  }
  EXPECT_FALSE(has_signature);
  EXPECT_TRUE(has_id);

  auto again = PostSigned(hooks(), Body("e1"), "e1");
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(Contains(again.body, R"("status":"duplicate")")) << again.body;

  auto other = PostSigned(hooks(), R"({"other":true})", "e1");
  EXPECT_EQ(other.status, 409);
  EXPECT_TRUE(Contains(other.body, R"("error":"fingerprint_mismatch")")) << other.body;
  EXPECT_EQ(store_->Get("hooks:e1")->payload->body, Body("e1"));
}

TEST_F(AcceptanceTest, SixtyFourConcurrentDeliveriesOfOneEventAcceptOnce) {
  std::atomic<int> accepted{0}, duplicate{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&] {
      auto response = PostSigned(hooks(), Body("burst"), "burst");
      if (response.status == 200 && Contains(response.body, "accepted")) {
        accepted.fetch_add(1);
      } else if (response.status == 200 && Contains(response.body, "duplicate")) {
        duplicate.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(duplicate.load(), 63);
  EXPECT_EQ(other.load(), 0);
  ListFilter all;
  EXPECT_EQ(store_->List(all)->records.size(), 1u);
}

TEST_F(AcceptanceTest, ConcurrentRequestsShareGroupCommits) {
  // An app that holds every delivery: the dispatcher writes nothing while the test counts.
  TestSink app;
  ASSERT_TRUE(app.Start().ok());
  app.Stall();
  server::Config config = DefaultConfig();
  config.sources[0].destination = app.Url("/hooks");
  gateway_.reset();
  StartGateway(config);
  // Hold the store until 32 requests wait on it, then let them all through at once.
  const StoreStats before = store_->Stats();
  faults_->Stall();
  std::vector<std::future<server::HttpResponse>> requests;
  for (int i = 0; i < 32; ++i) {
    requests.push_back(std::async(std::launch::async, [this, i] {
      const std::string id = "g" + std::to_string(i);
      return PostSigned(hooks(), Body(id), id);
    }));
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (faults_->stalled() < 32 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(faults_->stalled(), 32);
  faults_->Resume();
  for (auto& r : requests) EXPECT_EQ(r.get().status, 200);
  const StoreStats after = store_->Stats();
  const auto operations = after.batched_operations - before.batched_operations;
  const auto commits = after.batches - before.batches;
  EXPECT_EQ(operations, 32u);
  EXPECT_LT(commits, operations) << "every request had a transaction (and an fsync) of its own";
}

TEST_F(AcceptanceTest, RefusalsCarryTheirExactCodes) {
  struct Case {
    std::string name;
    server::HttpResponse response;
    int status;
    std::string code;
  };
  Headers signed_headers = (*MakeProvider(hooks().provider))->Sign(Body("x1"), clock_.Now(), "x1");
  Headers no_id;
  for (const auto& h : signed_headers) {
    if (strcasecmp(h.first.c_str(), "X-Webhook-Id") != 0) no_id.push_back(h);
  }
  std::vector<Case> cases;
  cases.push_back({"unknown source", Post("/webhooks/nope", signed_headers, Body("x1")), 404,
                   "unknown_source"});
  cases.push_back({"wrong method", Get("/webhooks/hooks"), 405, "method_not_allowed"});
  cases.push_back({"no id", Post("/webhooks/hooks", no_id, Body("x1")), 400, "missing_event_id"});
  for (const Case& c : cases) {
    EXPECT_EQ(c.response.status, c.status) << c.name << ": " << c.response.body;
    EXPECT_TRUE(Contains(c.response.body, "\"error\":\"" + c.code + "\""))
        << c.name << ": " << c.response.body;
  }
  EXPECT_TRUE(store_->List(ListFilter{})->records.empty());  // nothing stored by any of them
}

TEST_F(AcceptanceTest, StoreDownAnswers503NeverOkAndRecovers) {
  faults_->SetDown(true);
  auto down = PostSigned(hooks(), Body("d1"), "d1");
  EXPECT_EQ(down.status, 503);
  EXPECT_TRUE(Contains(down.body, R"("error":"store_unavailable")")) << down.body;
  EXPECT_TRUE(server::FindHeader(down.headers, "Retry-After").has_value());
  EXPECT_EQ(Get("/readyz").status, 503);
  EXPECT_EQ(Get("/healthz").status, 200);
  faults_->SetDown(false);
  EXPECT_EQ(Get("/readyz").status, 200);
  EXPECT_EQ(PostSigned(hooks(), Body("d1"), "d1").status, 200);
  EXPECT_TRUE(store_->Get("hooks:d1").ok());
}

TEST_F(AcceptanceTest, CommitFailureIsA503) {
  faults_->FailNext(1, UnavailableError("injected: write not committed"));
  EXPECT_EQ(PostSigned(hooks(), Body("c1"), "c1").status, 503);
  EXPECT_EQ(store_->Get("hooks:c1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(PostSigned(hooks(), Body("c1"), "c1").status, 200);
}

TEST_F(AcceptanceTest, MetricsAndHealthAnswer) {
  ASSERT_EQ(PostSigned(hooks(), Body("m1"), "m1").status, 200);
  auto metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(
      Contains(metrics.body, R"(hookfence_requests_total{source="hooks",outcome="accepted"} 1)"))
      << metrics.body;
  EXPECT_TRUE(Contains(metrics.body, "hookfence_request_duration_seconds_bucket"));
  EXPECT_TRUE(Contains(metrics.body, "hookfence_store_batch_size_count"));
  EXPECT_TRUE(Contains(metrics.body, "hookfence_store_queue_depth"));
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST_F(AcceptanceTest, AdminApiNeedsTheTokenAndShowsEvents) {
  ASSERT_EQ(PostSigned(hooks(), Body("a1"), "a1").status, 200);
  ASSERT_EQ(PostSigned(hooks(), Body("a:2/b"), "a:2/b").status, 200);
  const Headers auth{{"Authorization", std::string("Bearer ") + kAdminToken}};
  auto one = Get("/v1/events/hooks/a1", auth);
  EXPECT_EQ(one.status, 200);
  EXPECT_TRUE(Contains(one.body, R"("key":"hooks:a1")")) << one.body;
  EXPECT_TRUE(Contains(one.body, R"("state":"pending")")) << one.body;
  EXPECT_TRUE(Contains(one.body, Fingerprint(Body("a1")))) << one.body;
  auto encoded = Get("/v1/events/hooks/" + PercentEncode("a:2/b"), auth);
  EXPECT_EQ(encoded.status, 200) << encoded.body;
  EXPECT_EQ(Get("/v1/events/hooks/missing", auth).status, 404);
  auto list = Get("/v1/events?source=hooks&state=pending&limit=1", auth);
  EXPECT_EQ(list.status, 200);
  EXPECT_TRUE(Contains(list.body, R"("key":"hooks:a1")")) << list.body;
  EXPECT_FALSE(Contains(list.body, R"("next_cursor":"")")) << list.body;
  EXPECT_EQ(Get("/v1/events?state=bogus", auth).status, 400);
  EXPECT_EQ(Get("/v1/events?since=yesterday", auth).status, 400);
}

TEST_F(AcceptanceTest, OversizedBodyIsRefusedWithoutBeingRead) {
  int fd = ConnectTo(gateway_->port());
  ASSERT_GE(fd, 0);
  // Announce 100 MiB and send none of it: the answer must come anyway.
  ASSERT_TRUE(WriteAll(fd,
                       "POST /webhooks/hooks HTTP/1.1\r\nHost: x\r\nContent-Length: "
                       "104857600\r\nContent-Type: application/json\r\n\r\n"));
  bool closed = false;
  std::string answer = ReadUntilClosed(fd, 10000, &closed);
  close(fd);
  EXPECT_TRUE(Contains(answer, "HTTP/1.1 413")) << answer;
  EXPECT_TRUE(Contains(answer, "body_too_large")) << answer;
  EXPECT_TRUE(closed);
}

TEST_F(AcceptanceTest, EndlessChunkExtensionIsCutOff) {
  int fd = ConnectTo(gateway_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(WriteAll(fd,
                       "POST /webhooks/hooks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                       "chunked\r\n\r\n5;x="));
  // 8 MiB of one chunk-size line: neither header nor body, so only the read buffer's bound
  // stops it. The server may hang up before it has all of it.
  const std::string filler(1 << 20, 'a');
  for (int i = 0; i < 8 && WriteAll(fd, filler); ++i) {
  }
  bool closed = false;
  std::string answer = ReadUntilClosed(fd, 5000, &closed);  // well inside the 10 s read timeout
  close(fd);
  EXPECT_TRUE(closed);
  EXPECT_FALSE(Contains(answer, "HTTP/1.1 200")) << answer;
}

TEST_F(AcceptanceTest, UnknownSourcesShareOneMetricsLabel) {
  EXPECT_EQ(Post("/webhooks/made-up-1", {}, "{}").status, 404);
  EXPECT_EQ(Post("/webhooks/evil%22x", {}, "{}").status, 404);
  auto metrics = Get("/metrics").body;
  EXPECT_TRUE(Contains(metrics, R"(source="unknown",outcome="unknown_source"} 2)")) << metrics;
  EXPECT_FALSE(Contains(metrics, "made-up-1")) << metrics;
  EXPECT_FALSE(Contains(metrics, "evil")) << metrics;
}

TEST_F(AcceptanceTest, PlusInAnAdminPathIsItself) {
  ASSERT_EQ(PostSigned(hooks(), Body("a+1"), "a+1").status, 200);
  const Headers auth{{"Authorization", std::string("Bearer ") + kAdminToken}};
  auto one = Get("/v1/events/hooks/a+1", auth);
  EXPECT_EQ(one.status, 200) << one.body;
  EXPECT_TRUE(Contains(one.body, R"("key":"hooks:a+1")")) << one.body;
}

TEST_F(AcceptanceTest, KeepAliveServesManyRequestsOnOneConnection) {
  int fd = ConnectTo(gateway_->port());
  ASSERT_GE(fd, 0);
  std::string pipeline;
  for (int i = 0; i < 3; ++i) pipeline += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  pipeline += "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_TRUE(WriteAll(fd, pipeline));
  std::string answer = ReadUntilClosed(fd, 10000);
  close(fd);
  std::size_t count = 0;
  for (std::size_t at = 0; (at = answer.find("HTTP/1.1 200", at)) != std::string::npos; ++at) {
    ++count;
  }
  EXPECT_EQ(count, 4u) << answer;
}

class LimitsTest : public GatewayFixture {};

TEST_F(LimitsTest, OverloadedStoreQueueAnswers429) {
  server::Config config = DefaultConfig();
  config.store.max_pending_writes = 2;
  StartGateway(config);
  faults_->Stall();
  std::vector<std::future<server::HttpResponse>> stalled;
  for (int i = 0; i < 2; ++i) {
    stalled.push_back(std::async(std::launch::async, [this, i] {
      std::string id = "s" + std::to_string(i);
      return PostSigned(config_.sources[0], R"({"id":")" + id + R"("})", id);
    }));
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (faults_->stalled() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(faults_->stalled(), 2);
  auto refused = PostSigned(config_.sources[0], R"({"id":"s9"})", "s9");
  EXPECT_EQ(refused.status, 429);
  EXPECT_TRUE(Contains(refused.body, R"("error":"overloaded")")) << refused.body;
  EXPECT_TRUE(server::FindHeader(refused.headers, "Retry-After").has_value());
  faults_->Resume();
  for (auto& f : stalled) EXPECT_EQ(f.get().status, 200);
}

// Past saturation of the I/O loop (here: a threshold so low that any late tick counts, for
// LoopLag::kSustained without a break), webhooks are refused with 429 overloaded + Retry-After and
// nothing of them is stored; the loop still answers everything else, and takes webhooks again once
// it is idle.
TEST_F(LimitsTest, SaturatedLoopAnswers429AndStoresNothing) {
  server::Config config = DefaultConfig();
  config.server.threads = 1;
  config.server.max_loop_lag = 1us;
  StartGateway(config);
  constexpr int kPosters = 8;
  std::atomic<bool> refused{false};
  std::mutex mu;
  std::vector<std::string> stored_ids, refused_ids;
  std::vector<std::thread> posters;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  // Health checks keep the loop busy without a break (webhooks alone pause while their batch
  // syncs), and are never refused themselves.
  std::atomic<int> health_not_ok{0};
  for (int p = 0; p < 4; ++p) {
    posters.emplace_back([&] {
      while (!refused.load() && std::chrono::steady_clock::now() < deadline) {
        if (Get("/healthz").status != 200) health_not_ok.fetch_add(1);
      }
    });
  }
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; !refused.load() && std::chrono::steady_clock::now() < deadline; ++i) {
        const std::string id = "l" + std::to_string(p) + "-" + std::to_string(i);
        auto answer = PostSigned(config_.sources[0], R"({"id":")" + id + R"("})", id);
        std::lock_guard lock(mu);
        if (answer.status == 200) {
          stored_ids.push_back(id);
        } else {
          EXPECT_EQ(answer.status, 429) << answer.body;
          EXPECT_TRUE(Contains(answer.body, R"("error":"overloaded")")) << answer.body;
          EXPECT_TRUE(Contains(answer.body, "saturated")) << answer.body;
          EXPECT_EQ(server::FindHeader(answer.headers, "Retry-After").value_or(""), "1");
          refused_ids.push_back(id);
          refused.store(true);
        }
      }
    });
  }
  for (auto& poster : posters) poster.join();
  ASSERT_FALSE(refused_ids.empty()) << "the loop was never found saturated";
  EXPECT_EQ(health_not_ok.load(), 0);
  for (const std::string& id : refused_ids) {
    EXPECT_EQ(store_->Get("hooks:" + id).status().code(), StatusCode::kNotFound) << id;
  }
  for (const std::string& id : stored_ids) EXPECT_TRUE(store_->Get("hooks:" + id).ok()) << id;
  EXPECT_EQ(Get("/healthz").status, 200);
  auto metrics = Get("/metrics").body;
  EXPECT_TRUE(Contains(metrics, R"(source="hooks",outcome="overloaded"})")) << metrics;
  // The one I/O loop's gauges.
  EXPECT_TRUE(Contains(metrics, R"(hookfence_io_loop_lag_seconds{loop="0"} )")) << metrics;
  EXPECT_TRUE(Contains(metrics, R"(hookfence_io_loop_refused_share{loop="0"} )")) << metrics;
  EXPECT_FALSE(Contains(metrics, R"({loop="1"})")) << metrics;
  // Once the posters stop, the loop goes idle and takes webhooks again.
  int status = 0;
  for (int i = 0; status != 200 && std::chrono::steady_clock::now() < deadline + 30s; ++i) {
    const std::string id = "after-" + std::to_string(i);
    status = PostSigned(config_.sources[0], R"({"id":")" + id + R"("})", id).status;
  }
  EXPECT_EQ(status, 200);
}

TEST_F(LimitsTest, RetentionIsSweptPeriodically) {
  server::Config config = DefaultConfig();
  config.store.sweep_interval = 20ms;
  config.store.retention = 1h;
  TestSink app;
  ASSERT_TRUE(app.Start().ok());
  config.sources[0].destination = app.Url("/hooks");
  StartGateway(config);
  ASSERT_EQ(PostSigned(config_.sources[0], R"({"id":"r1"})", "r1").status, 200);
  // The gateway delivers it; the record is COMPLETED once the app answered.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (store_->Get("hooks:r1")->state != State::kCompleted &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(store_->Get("hooks:r1")->state, State::kCompleted);
  clock_.Advance(1h);
  // No Sweep call from the test: the gateway's own sweeper must turn it into a tombstone.
  while (!store_->Get("hooks:r1")->tombstone && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_TRUE(store_->Get("hooks:r1")->tombstone);
  EXPECT_FALSE(store_->Get("hooks:r1")->payload.has_value());
}

TEST_F(LimitsTest, FullStoreAnswers503StoreFull) {
  server::Config config = DefaultConfig();
  config.store.capacity = 1;
  StartGateway(config);
  EXPECT_EQ(PostSigned(config_.sources[0], R"({"id":"f1"})", "f1").status, 200);
  auto full = PostSigned(config_.sources[0], R"({"id":"f2"})", "f2");
  EXPECT_EQ(full.status, 503);
  EXPECT_TRUE(Contains(full.body, R"("error":"store_full")")) << full.body;
  EXPECT_TRUE(server::FindHeader(full.headers, "Retry-After").has_value());
}

}  // namespace
}  // namespace hookfence::testing
