// The admin API's dead letters, replay and purge over real sockets: GET /v1/dead,
// POST /v1/events/{source}/{id}/replay, POST /v1/replay, DELETE /v1/events/{source}/{id}.
// Records are put in the wanted state straight through the store; the answers and the store's
// state afterwards are checked. Another part of the gateway (the dispatcher) may claim a replayed
// record at once, so "replayed" means waiting for or in delivery with its attempts reset.
#include <unistd.h>

#include <cstdio>

#include "hookfence/keys.h"
#include "src/cli/iso8601.h"
#include "tests/integration/event_records.h"
#include "tests/integration/gateway_fixture.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Sends what fd 2 receives to a file while alive: the gateway logs to stderr.
class StderrCapture {
 public:
  explicit StderrCapture(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = dup(2);
    std::FILE* file = std::fopen(path_.c_str(), "w");
    dup2(fileno(file), 2);
    std::fclose(file);
  }
  ~StderrCapture() { Restore(); }
  // Stops capturing and returns what was captured.
  std::string Take() {
    Restore();
    std::string text;
    if (std::FILE* file = std::fopen(path_.c_str(), "r")) {
      char buffer[4096];
      for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) {
        text.append(buffer, n);
      }
      std::fclose(file);
    }
    return text;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

class AdminReplayTest : public GatewayFixture {
 protected:
  void SetUp() override {
    server::Config config = DefaultConfig();
    config.sources.push_back(HmacSource("other"));
    // Shorter than key_retention, so a swept dead letter stays as a tombstone.
    config.store.dead_retention = 24h;
    StartGateway(config);
  }

  server::HttpResponse Call(const std::string& method, const std::string& target,
                            bool authorized = true) {
    Headers headers;
    if (authorized) headers.emplace_back("Authorization", std::string("Bearer ") + kAdminToken);
    auto response = server::SendRequest(method, UrlFor(target), headers, "");
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : server::HttpResponse{0, {}, "", false, nullptr};
  }

  std::string AllowOf(const server::HttpResponse& response) {
    auto allow = server::FindHeader(response.headers, "Allow");
    return allow ? std::string(*allow) : std::string("(none)");
  }
};

TEST_F(AdminReplayTest, EveryNewEndpointNeedsTheToken) {
  PutDead(*store_, clock_, "hooks:d1");
  EXPECT_EQ(Call("POST", "/v1/events/hooks/d1/replay", false).status, 401);
  EXPECT_EQ(Call("POST", "/v1/replay", false).status, 401);
  EXPECT_EQ(Call("GET", "/v1/dead", false).status, 401);
  EXPECT_EQ(Call("DELETE", "/v1/events/hooks/d1", false).status, 401);
  EXPECT_TRUE(InState(*store_, "hooks:d1", State::kDead));
}

TEST_F(AdminReplayTest, ReplayRevivesADeadEvent) {
  PutDead(*store_, clock_, "hooks:d1");
  auto answer = Call("POST", "/v1/events/hooks/d1/replay");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_TRUE(Contains(answer.body, R"("status":"replayed")")) << answer.body;
  EXPECT_TRUE(Contains(answer.body, R"("key":"hooks:d1")")) << answer.body;
  EXPECT_TRUE(Replayed(*store_, "hooks:d1"));
}

TEST_F(AdminReplayTest, ReplayTakesAPercentEncodedId) {
  PutDead(*store_, clock_, "hooks:a:b/c?d");
  auto answer = Call("POST", "/v1/events/hooks/" + PercentEncode("a:b/c?d") + "/replay");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_TRUE(Replayed(*store_, "hooks:a:b/c?d"));
}

TEST_F(AdminReplayTest, ReplayOfACompletedEventDeliversItAgain) {
  PutCompleted(*store_, clock_, "hooks:c1");
  EXPECT_EQ(Call("POST", "/v1/events/hooks/c1/replay").status, 200);
  EXPECT_TRUE(Replayed(*store_, "hooks:c1"));
}

TEST_F(AdminReplayTest, ReplayOfAnUnknownEventIs404) {
  auto answer = Call("POST", "/v1/events/hooks/nope/replay");
  EXPECT_EQ(answer.status, 404);
  EXPECT_TRUE(Contains(answer.body, R"("error":"not_found")")) << answer.body;
  EXPECT_EQ(Call("POST", "/v1/events/hooks/%zz/replay").status, 400);
}

TEST_F(AdminReplayTest, RecordsThatCannotBeReplayedAre409) {
  PutInProgress(*store_, "hooks:running");
  PutCallerCompleted(*store_, clock_, "hooks:sync");
  auto running = Call("POST", "/v1/events/hooks/running/replay");
  EXPECT_EQ(running.status, 409);
  EXPECT_TRUE(Contains(running.body, R"("error":"not_replayable")")) << running.body;
  EXPECT_TRUE(Contains(running.body, "still pending or in progress")) << running.body;
  auto sync = Call("POST", "/v1/events/hooks/sync/replay");
  EXPECT_EQ(sync.status, 409);
  EXPECT_TRUE(Contains(sync.body, "dispatcher-driven")) << sync.body;
  EXPECT_TRUE(InState(*store_, "hooks:running", State::kInProgress));
  EXPECT_TRUE(InState(*store_, "hooks:sync", State::kCompleted));
}

TEST_F(AdminReplayTest, ATombstoneIs409AndSkippedInBulk) {
  PutDead(*store_, clock_, "hooks:old");
  clock_.Advance(48h);  // past dead_retention: the sweep drops the payload
  ASSERT_TRUE(store_->Sweep().ok());
  auto old = store_->Get("hooks:old");
  ASSERT_TRUE(old.ok()) << old.status();
  ASSERT_TRUE(old->tombstone);
  auto one = Call("POST", "/v1/events/hooks/old/replay");
  EXPECT_EQ(one.status, 409);
  EXPECT_TRUE(Contains(one.body, "payload was dropped")) << one.body;
  PutDead(*store_, clock_, "hooks:new");
  auto bulk = Call("POST", "/v1/replay");
  EXPECT_EQ(bulk.status, 200) << bulk.body;
  EXPECT_TRUE(Contains(bulk.body, R"("replayed":1,"skipped":1)")) << bulk.body;
  EXPECT_TRUE(Replayed(*store_, "hooks:new"));
  EXPECT_TRUE(InState(*store_, "hooks:old", State::kDead));
}

TEST_F(AdminReplayTest, MethodsThatDoNotFitThePathAre405WithAllow) {
  struct Case {
    std::string method;
    std::string target;
    std::string allow;
  };
  for (const Case& c :
       {Case{"GET", "/v1/events/hooks/x/replay", "POST"},
        Case{"PUT", "/v1/events/hooks/x", "GET, DELETE"}, Case{"GET", "/v1/replay", "POST"},
        Case{"POST", "/v1/dead", "GET"}, Case{"DELETE", "/v1/events", "GET"}}) {
    auto answer = Call(c.method, c.target);
    EXPECT_EQ(answer.status, 405) << c.method << " " << c.target;
    EXPECT_EQ(AllowOf(answer), c.allow) << c.method << " " << c.target;
    EXPECT_TRUE(Contains(answer.body, R"("error":"method_not_allowed")")) << answer.body;
  }
  EXPECT_EQ(Call("POST", "/v1/nothing").status, 404);
}

TEST_F(AdminReplayTest, DeadListsOnlyDeadLetters) {
  PutDead(*store_, clock_, "hooks:d1");
  PutDead(*store_, clock_, "hooks:d2");
  PutDead(*store_, clock_, "other:d3");
  PutCompleted(*store_, clock_, "hooks:c1");
  PutInProgress(*store_, "hooks:p1");
  auto all = Call("GET", "/v1/dead");
  EXPECT_EQ(all.status, 200) << all.body;
  EXPECT_TRUE(Contains(all.body, R"("key":"hooks:d1")")) << all.body;
  EXPECT_TRUE(Contains(all.body, R"("key":"other:d3")")) << all.body;
  EXPECT_FALSE(Contains(all.body, "hooks:c1")) << all.body;
  EXPECT_FALSE(Contains(all.body, "hooks:p1")) << all.body;
  EXPECT_TRUE(Contains(all.body, R"("next_cursor":"")")) << all.body;

  auto hooks = Call("GET", "/v1/dead?source=hooks&limit=1");
  EXPECT_EQ(hooks.status, 200) << hooks.body;
  EXPECT_TRUE(Contains(hooks.body, R"("key":"hooks:d1")")) << hooks.body;
  EXPECT_FALSE(Contains(hooks.body, "hooks:d2")) << hooks.body;
  EXPECT_FALSE(Contains(hooks.body, R"("next_cursor":"")")) << hooks.body;

  EXPECT_EQ(Call("GET", "/v1/dead?state=pending").status, 400);
  EXPECT_EQ(Call("GET", "/v1/dead?state=dead").status, 200);
  EXPECT_EQ(Call("GET", "/v1/dead?since=yesterday").status, 400);
}

TEST_F(AdminReplayTest, BulkReplayReplaysEveryDeadLetterAndCountsThem) {
  PutDead(*store_, clock_, "hooks:d1");
  PutDead(*store_, clock_, "other:d2");
  PutCompleted(*store_, clock_, "hooks:c1");
  PutInProgress(*store_, "hooks:p1");
  auto answer = Call("POST", "/v1/replay");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body, R"({"status":"replayed","replayed":2,"skipped":0})");
  EXPECT_TRUE(Replayed(*store_, "hooks:d1"));
  EXPECT_TRUE(Replayed(*store_, "other:d2"));
  EXPECT_TRUE(InState(*store_, "hooks:c1", State::kCompleted));
  EXPECT_TRUE(InState(*store_, "hooks:p1", State::kInProgress));
  // Nothing is dead any more: a second run has nothing to do.
  EXPECT_EQ(Call("POST", "/v1/replay").body, R"({"status":"replayed","replayed":0,"skipped":0})");
}

TEST_F(AdminReplayTest, BulkReplayFiltersBySourceAndSince) {
  PutDead(*store_, clock_, "hooks:old");
  clock_.Advance(1h);
  const std::string since = cli::FormatIso8601(clock_.Now());
  PutDead(*store_, clock_, "hooks:new");
  PutDead(*store_, clock_, "other:new");
  auto answer = Call("POST", "/v1/replay?source=hooks&since=" + PercentEncode(since));
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_TRUE(Contains(answer.body, R"("replayed":1,"skipped":0)")) << answer.body;
  EXPECT_TRUE(Replayed(*store_, "hooks:new"));
  EXPECT_TRUE(InState(*store_, "hooks:old", State::kDead));
  EXPECT_TRUE(InState(*store_, "other:new", State::kDead));

  auto until = Call("POST", "/v1/replay?until=" + PercentEncode(since));
  EXPECT_TRUE(Contains(until.body, R"("replayed":1,"skipped":0)")) << until.body;
  EXPECT_TRUE(Replayed(*store_, "hooks:old"));
  EXPECT_TRUE(InState(*store_, "other:new", State::kDead));
}

TEST_F(AdminReplayTest, BulkReplayOfCompletedEventsSkipsCallerDrivenOnes) {
  PutCompleted(*store_, clock_, "hooks:c1");
  PutCallerCompleted(*store_, clock_, "hooks:sync");
  PutDead(*store_, clock_, "hooks:d1");
  auto answer = Call("POST", "/v1/replay?state=completed");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_TRUE(Contains(answer.body, R"("replayed":1,"skipped":1)")) << answer.body;
  EXPECT_TRUE(Replayed(*store_, "hooks:c1"));
  EXPECT_TRUE(InState(*store_, "hooks:sync", State::kCompleted));
  EXPECT_TRUE(InState(*store_, "hooks:d1", State::kDead));
  EXPECT_EQ(Call("POST", "/v1/replay?state=pending").status, 400);
  EXPECT_EQ(Call("POST", "/v1/replay?state=bogus").status, 400);
  EXPECT_EQ(Call("POST", "/v1/replay?since=yesterday").status, 400);
}

TEST_F(AdminReplayTest, AStoreFailureIs503AndReplaysNothing) {
  PutDead(*store_, clock_, "hooks:d1");
  faults_->SetDown(true);
  auto bulk = Call("POST", "/v1/replay");
  auto one = Call("POST", "/v1/events/hooks/d1/replay");
  auto purge = Call("DELETE", "/v1/events/hooks/d1");
  faults_->SetDown(false);
  EXPECT_EQ(bulk.status, 503);
  EXPECT_TRUE(Contains(bulk.body, R"("error":"store_unavailable")")) << bulk.body;
  EXPECT_TRUE(Contains(bulk.body, R"("replayed":0,"skipped":0)")) << bulk.body;
  EXPECT_TRUE(server::FindHeader(bulk.headers, "Retry-After").has_value());
  EXPECT_EQ(one.status, 503);
  EXPECT_TRUE(Contains(one.body, R"("error":"store_unavailable")")) << one.body;
  EXPECT_EQ(purge.status, 503);
  EXPECT_TRUE(InState(*store_, "hooks:d1", State::kDead));
}

TEST_F(AdminReplayTest, PurgeErasesTheEventAndAuditsIt) {
  PutDead(*store_, clock_, "hooks:d1");
  StderrCapture capture(dir_.File("stderr.log"));
  auto answer = Call("DELETE", "/v1/events/hooks/d1");
  const std::string log = capture.Take();
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_TRUE(Contains(answer.body, R"("status":"purged")")) << answer.body;
  EXPECT_EQ(store_->Get("hooks:d1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(log,
                       "audit: purged hooks:d1 (payload, response and tombstone) at the "
                       "request of the admin token holder at 127.0.0.1:"))
      << log;
  auto again = Call("DELETE", "/v1/events/hooks/d1");
  EXPECT_EQ(again.status, 404);
  EXPECT_TRUE(Contains(again.body, R"("error":"not_found")")) << again.body;
}

}  // namespace
}  // namespace hookfence::testing
