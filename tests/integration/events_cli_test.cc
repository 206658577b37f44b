// `hookfence events list|show|replay`, run as the built binary, (a) directly on an SQLite file
// the test prepared and (b) through the admin API of an in-process gateway.
#include <string>
#include <vector>

#include "hookfence/keys.h"
#include "tests/integration/event_records.h"
#include "tests/integration/gateway_fixture.h"
#include "tests/integration/serve_process.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class EventsCliTest : public GatewayFixture {
 protected:
  int Events(const std::vector<std::string>& args, std::string* output) {
    return RunEventsCommand(args, output);
  }

  // --- (a) a store file of the test's own ---
  std::string StoreUrl() const { return "sqlite://" + dir_.File("cli.db"); }
  std::unique_ptr<Store> OpenCliStore() {
    StoreOptions options;
    options.clock = &clock_;
    auto store = OpenStore(StoreUrl(), options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // --- (b) the gateway ---
  std::vector<std::string> Gateway() const {
    return {"--gateway", "http://127.0.0.1:" + std::to_string(gateway_->port()), "--token",
            kAdminToken};
  }
  std::vector<std::string> With(std::vector<std::string> args,
                                const std::vector<std::string>& more) const {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
};

TEST_F(EventsCliTest, ListsShowsAndReplaysInAStore) {
  {
    auto store = OpenCliStore();
    ASSERT_NE(store, nullptr);
    PutDead(*store, clock_, "hooks:d1");
    PutDead(*store, clock_, "hooks:d2");
    PutCompleted(*store, clock_, "hooks:c1");
    PutInProgress(*store, "hooks:p1");
  }  // closed: the command opens the file itself
  std::string output;
  EXPECT_EQ(Events({"list", "--dead", "--store", StoreUrl()}, &output), 0) << output;
  EXPECT_TRUE(Contains(output, "hooks:d1")) << output;
  EXPECT_TRUE(Contains(output, "final 400")) << output;
  EXPECT_FALSE(Contains(output, "hooks:c1")) << output;

  EXPECT_EQ(Events({"list", "--state", "completed", "--json", "--store", StoreUrl()}, &output), 0);
  EXPECT_TRUE(Contains(output, R"({"events":[{"key":"hooks:c1")")) << output;
  EXPECT_TRUE(Contains(output, R"("next_cursor":"")")) << output;

  EXPECT_EQ(Events({"show", "hooks", "d1", "--store", StoreUrl()}, &output), 0) << output;
  EXPECT_TRUE(Contains(output, "state:        dead")) << output;
  EXPECT_TRUE(Contains(output, "Content-Type: application/json")) << output;
  EXPECT_EQ(Events({"show", "hooks", "nope", "--store", StoreUrl()}, &output), 1) << output;
  EXPECT_TRUE(Contains(output, "no record for key 'hooks:nope'")) << output;

  EXPECT_EQ(Events({"replay", "hooks", "d1", "--store", StoreUrl()}, &output), 0) << output;
  EXPECT_TRUE(Contains(output, "replayed hooks:d1")) << output;
  EXPECT_EQ(Events({"replay", "hooks", "p1", "--store", StoreUrl()}, &output), 1) << output;
  EXPECT_TRUE(Contains(output, "'hooks:p1' cannot be replayed")) << output;
  EXPECT_EQ(Events({"replay", "hooks", "nope", "--store", StoreUrl()}, &output), 1) << output;

  auto store = OpenCliStore();
  ASSERT_NE(store, nullptr);
  auto replayed = store->Get("hooks:d1");
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->state, State::kPending);  // no dispatcher runs on this file
  EXPECT_EQ(replayed->attempts, 0u);
  EXPECT_TRUE(InState(*store, "hooks:d2", State::kDead));
  EXPECT_TRUE(InState(*store, "hooks:p1", State::kInProgress));
}

TEST_F(EventsCliTest, BulkReplayInAStoreHonoursTheFilters) {
  {
    auto store = OpenCliStore();
    ASSERT_NE(store, nullptr);
    PutDead(*store, clock_, "hooks:d1");
    PutDead(*store, clock_, "other:d2");
    PutCompleted(*store, clock_, "hooks:c1");
    PutCallerCompleted(*store, clock_, "hooks:sync");
  }
  std::string output;
  EXPECT_EQ(Events({"replay", "--all", "--source", "other", "--store", StoreUrl()}, &output), 0)
      << output;
  EXPECT_TRUE(Contains(output, "replayed 1, skipped 0")) << output;
  EXPECT_EQ(Events({"replay", "--all", "--state", "completed", "--store", StoreUrl()}, &output), 0)
      << output;
  EXPECT_TRUE(Contains(output, "replayed 1, skipped 1")) << output;

  auto store = OpenCliStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(InState(*store, "other:d2", State::kPending));
  EXPECT_TRUE(InState(*store, "hooks:c1", State::kPending));
  EXPECT_TRUE(InState(*store, "hooks:d1", State::kDead));
  EXPECT_TRUE(InState(*store, "hooks:sync", State::kCompleted));
}

TEST_F(EventsCliTest, TheStoreMayComeFromTheEnvironment) {
  OpenCliStore();  // creates the file
  std::string output;
  EXPECT_EQ(RunCommand({"/usr/bin/env", "-u", "HOOKFENCE_GATEWAY", "HOOKFENCE_STORE=" + StoreUrl(),
                        HOOKFENCE_BINARY, "events", "list"},
                       &output),
            0)
      << output;
  EXPECT_TRUE(Contains(output, "no records match")) << output;
  // Both in the environment: ambiguous, a usage error; a flag settles it.
  const std::vector<std::string> both = {"/usr/bin/env",
                                         "HOOKFENCE_STORE=" + StoreUrl(),
                                         "HOOKFENCE_GATEWAY=http://127.0.0.1:9",
                                         HOOKFENCE_BINARY,
                                         "events",
                                         "list"};
  EXPECT_EQ(RunCommand(both, &output), 2) << output;
  EXPECT_TRUE(Contains(output, "both set")) << output;
  EXPECT_EQ(RunCommand(With(both, {"--store", StoreUrl()}), &output), 0) << output;
}

TEST_F(EventsCliTest, UsageErrorsExitTwo) {
  OpenCliStore();
  std::string output;
  EXPECT_EQ(Events({"list"}, &output), 2) << output;  // neither a gateway nor a store
  EXPECT_EQ(Events({"list", "--store", StoreUrl(), "--gateway", "http://127.0.0.1:9"}, &output), 2)
      << output;
  EXPECT_EQ(Events({"list", "--dead", "--state", "pending", "--store", StoreUrl()}, &output), 2);
  EXPECT_EQ(Events({"replay", "--store", StoreUrl()}, &output), 2) << output;
  EXPECT_EQ(Events({"replay", "hooks", "--store", StoreUrl()}, &output), 2) << output;
  EXPECT_EQ(Events({"replay", "hooks", "d1", "--all", "--store", StoreUrl()}, &output), 2);
  EXPECT_EQ(Events({"replay", "--source", "hooks", "--store", StoreUrl()}, &output), 2);
  EXPECT_EQ(Events({"replay", "--all", "--state", "pending", "--store", StoreUrl()}, &output), 2);
  EXPECT_EQ(Events({"list", "--since", "yesterday", "--store", StoreUrl()}, &output), 2);
  // A store that is not there is a failure of the command, not of its usage.
  EXPECT_EQ(Events({"list", "--store", "sqlite://" + dir_.File("missing.db")}, &output), 1);
  EXPECT_TRUE(Contains(output, "no database file")) << output;
}

TEST_F(EventsCliTest, WorksThroughTheGateway) {
  StartGateway(DefaultConfig());
  PutDead(*store_, clock_, "hooks:d1");
  PutDead(*store_, clock_, "hooks:a:b/c?d");
  PutCompleted(*store_, clock_, "hooks:c1");
  std::string output;
  EXPECT_EQ(Events(With({"list", "--dead"}, Gateway()), &output), 0) << output;
  EXPECT_TRUE(Contains(output, "hooks:d1")) << output;
  EXPECT_TRUE(Contains(output, "hooks:a:b/c?d")) << output;
  EXPECT_FALSE(Contains(output, "hooks:c1")) << output;

  // --json prints the API's answer unchanged.
  EXPECT_EQ(Events(With({"list", "--state", "completed", "--json"}, Gateway()), &output), 0);
  const Headers auth{{"Authorization", std::string("Bearer ") + kAdminToken}};
  EXPECT_EQ(output, Get("/v1/events?state=completed&limit=100", auth).body + "\n");

  // A record fetched from the gateway prints exactly as the same record read from the store.
  std::string via_gateway, via_store;
  EXPECT_EQ(Events(With({"show", "hooks", "a:b/c?d"}, Gateway()), &via_gateway), 0) << via_gateway;
  EXPECT_EQ(Events({"show", "hooks", "a:b/c?d", "--store", "sqlite://" + dir_.File("gateway.db")},
                   &via_store),
            0)
      << via_store;
  EXPECT_EQ(via_gateway, via_store);
  EXPECT_TRUE(Contains(via_gateway, "final 400")) << via_gateway;
  EXPECT_EQ(Events(With({"show", "hooks", "d1", "--json"}, Gateway()), &output), 0);
  EXPECT_EQ(output, Get("/v1/events/hooks/d1", auth).body + "\n");

  EXPECT_EQ(Events(With({"replay", "hooks", "a:b/c?d"}, Gateway()), &output), 0) << output;
  EXPECT_TRUE(Contains(output, "replayed hooks:a:b/c?d")) << output;
  EXPECT_TRUE(Replayed(*store_, "hooks:a:b/c?d"));
  EXPECT_EQ(Events(With({"replay", "hooks", "nope"}, Gateway()), &output), 1) << output;
  EXPECT_TRUE(Contains(output, "404 not_found")) << output;
  EXPECT_EQ(Events(With({"replay", "hooks", "c1"}, Gateway()), &output), 0) << output;
  EXPECT_EQ(Events(With({"replay", "hooks", "c1"}, Gateway()), &output), 1) << output;
  EXPECT_TRUE(Contains(output, "409 not_replayable")) << output;

  EXPECT_EQ(Events(With({"replay", "--all"}, Gateway()), &output), 0) << output;
  EXPECT_TRUE(Contains(output, "replayed 1, skipped 0")) << output;
  EXPECT_TRUE(Replayed(*store_, "hooks:d1"));
}

TEST_F(EventsCliTest, GatewayFailuresExitOne) {
  StartGateway(DefaultConfig());
  PutDead(*store_, clock_, "hooks:d1");
  std::string output;
  EXPECT_EQ(Events({"list", "--gateway", "http://127.0.0.1:" + std::to_string(gateway_->port()),
                    "--token", "wrong"},
                   &output),
            1);
  EXPECT_TRUE(Contains(output, "401 unauthorized")) << output;

  faults_->SetDown(true);
  const int code = Events(With({"replay", "--all"}, Gateway()), &output);
  faults_->SetDown(false);
  EXPECT_EQ(code, 1) << output;
  EXPECT_TRUE(Contains(output, "503 store_unavailable")) << output;
  EXPECT_TRUE(Contains(output, "stopped after: replayed 0, skipped 0")) << output;
  EXPECT_TRUE(InState(*store_, "hooks:d1", State::kDead));
}

}  // namespace
}  // namespace hookfence::testing
