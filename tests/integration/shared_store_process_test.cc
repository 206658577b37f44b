// Several `hookfence serve` processes on one shared store (PostgreSQL, Redis, MySQL) act as one
// gateway: the test plays a provider that spreads every delivery of every event at random over
// the gateways, with the copies of one event racing each other on different gateways, and checks
// what the app (a TestSink) saw:
//   - 5,000 events × 3 deliveries over 3 gateways: one `accepted` per event, each event reaches
//     the app exactly once;
//   - one gateway SIGKILLed mid-run: the others take its leases over once they lapse; nothing
//     acknowledged is lost and, counted by Idempotency-Key, every effect happens once;
//   - a gateway paused (SIGSTOP) in the middle of a delivery for longer than its lease: another
//     takes the delivery over, and the paused one's late completion is refused by the fence;
//   - a gateway whose clock runs ahead by less than max_clock_skew steals no live lease;
//   - the store's server going away: 503 (never 200) and /readyz unready, both recovering by
//     themselves when it returns;
//   - `hookfence migrate` on the shared store.
// The servers come from scripts/test-servers.sh (HOOKFENCE_TEST_*_URL); each test works in a
// schema, key prefix or database of its own. Every wait polls a condition with a deadline.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "src/store/store_url.h"
#include "testing/cutting_proxy.h"
#include "testing/scratch_dir.h"
#include "testing/test_servers.h"
#include "testing/test_sink.h"
#include "tests/integration/gateway_fixture.h"
#include "tests/integration/provider_poster.h"
#include "tests/integration/serve_process.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSource = kProcessTestSource;

class SharedStoreProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    HOOKFENCE_TEST_SERVER_URL(server_url, GetParam());
    server_url_ = server_url;
    auto url = FreshStoreUrl(GetParam(), server_url_);
    ASSERT_TRUE(url.ok()) << url.status();
    store_url_ = *url;
    auto port = sink_.Start();
    ASSERT_TRUE(port.ok()) << port.status();
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (std::size_t i = 0; i < gateways_.size(); ++i) {
      const std::string log = gateways_[i]->Log();
      std::cout << "---- gateway " << i << " log (last 3000 bytes) ----\n"
                << log.substr(log.size() > 3000 ? log.size() - 3000 : 0) << "\n";
    }
  }

  // Writes the config every gateway shares (one hmac source delivering to the sink, short
  // durations) and starts `count` gateways on it; `env` goes to the gateway of the same index.
  void StartGateways(int count, const std::string& store_keys = "",
                     const std::string& source_keys = "",
                     const std::vector<std::string>& env = {}) {
    const std::string config =
        ProcessTestConfig(store_url_, sink_.Url("/app"), store_keys, source_keys);
    WriteFile(dir_.File("hookfence.toml"), config);
    for (int i = 0; i < count; ++i) {
      auto gateway = std::make_unique<ServeProcess>(
          dir_.File("hookfence.toml"), dir_.File("serve" + std::to_string(i) + ".log"));
      if (static_cast<std::size_t>(i) < env.size() && !env[i].empty()) gateway->AddEnv(env[i]);
      ASSERT_TRUE(gateway->Start()) << gateway->Log();
      ports_.push_back(gateway->port());
      gateways_.push_back(std::move(gateway));
    }
  }

  // An admin API answer as JSON from gateway `gateway` (null when it did not answer 200).
  boost::json::value AdminJson(std::size_t gateway, const std::string& method,
                               const std::string& target) {
    server::HttpResponse response = AdminCall(ports_.at(gateway), method, target);
    if (response.status != 200) return nullptr;
    boost::json::error_code error;
    boost::json::value value = boost::json::parse(response.body, error);
    return error ? boost::json::value(nullptr) : value;
  }

  boost::json::object Event(std::size_t gateway, const std::string& event_id) {
    boost::json::value event = AdminJson(
        gateway, "GET", std::string("/v1/events/") + kSource + "/" + PercentEncode(event_id));
    return event.is_object() ? event.as_object() : boost::json::object{};
  }

  // Waits until gateway `gateway`'s gauges say the store holds nothing left to deliver.
  bool WaitUntilDrained(std::size_t gateway, Duration timeout) {
    return WaitUntil([&] { return Drained(MetricsOf(ports_.at(gateway))); }, timeout);
  }

  // Waits until the sink has applied every key of `keys`; `missing` says how many it lacks.
  bool WaitForKeys(const std::vector<std::string>& keys, Duration timeout, std::size_t* missing) {
    std::size_t seen_count = 0;
    return WaitUntil(
        [&] {
          const std::size_t count = sink_.count();
          if (count < keys.size() || count == seen_count) return false;
          seen_count = count;
          const EffectsView effects = sink_.Effects();
          const std::set<std::string> seen(effects.applied_keys.begin(),
                                           effects.applied_keys.end());
          *missing = 0;
          for (const std::string& key : keys) *missing += seen.count(key) == 0 ? 1 : 0;
          return *missing == 0;
        },
        timeout);
  }

  // Checks that every request the sink got carries its event's body and that no key was
  // delivered twice under one fence.
  void ExpectOneFencePerDelivery() {
    for (const auto& [key, requests] : ByKey(sink_.Requests())) {
      const std::string event_id = key.substr(std::string(kSource).size() + 1);
      std::set<std::uint64_t> fences;
      for (const ReceivedRequest& request : requests) {
        EXPECT_EQ(request.body, Body(event_id)) << key;
        EXPECT_TRUE(fences.insert(HeaderNumber(request, "Hookfence-Fence")).second)
            << key << " delivered twice with the same fence";
      }
    }
  }

  std::string server_url_;
  std::string store_url_;
  ScratchDir dir_;
  TestSink sink_;
  std::vector<std::unique_ptr<ServeProcess>> gateways_;
  std::vector<std::uint16_t> ports_;
};

TEST_P(SharedStoreProcessTest, ThreeGatewaysAcceptEachEventOnceAndDeliverItOnce) {
  StartGateways(3, "lease = \"5s\"\nmax_clock_skew = \"1s\"\n");
  if (HasFatalFailure()) return;
  constexpr int kEvents = 5000;
  constexpr int kCopies = 3;          // each event is delivered three times...
  constexpr int kThreadsPerCopy = 3;  // ...by three groups of threads running side by side
  const std::uint64_t seed = std::random_device{}();
  std::vector<std::atomic<int>> accepted(kEvents);
  AnswerTally tally;
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int copy = 0; copy < kCopies; ++copy) {
    for (int t = 0; t < kThreadsPerCopy; ++t) {
      threads.emplace_back([&, copy, t] {
        std::mt19937_64 rng(seed + static_cast<std::uint64_t>(copy * kThreadsPerCopy + t));
        std::uniform_int_distribution<std::size_t> pick(0, ports_.size() - 1);
        Poster poster(nullptr, kSource);
        // Every group walks the events in the same order, so the copies of one event arrive
        // at (usually different) gateways at about the same moment.
        for (int event = t; event < kEvents; event += kThreadsPerCopy) {
          const std::string id = "evt_" + std::to_string(event);
          const Answer answer = poster.PostTo(ports_[pick(rng)], id, Body(id));
          tally.Add(answer);
          const std::string outcome = answer.status == 200 ? answer.Outcome() : "";
          if (outcome == "accepted" || outcome == "queued") ++accepted[event];
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  const double post_seconds = SecondsSince(start);
  EXPECT_EQ(tally.Count("accepted") + tally.Count("queued"), static_cast<std::size_t>(kEvents))
      << tally.ToString();
  EXPECT_EQ(tally.Count("duplicate"), static_cast<std::size_t>(kEvents * (kCopies - 1)))
      << tally.ToString();
  int not_once = 0;
  for (const auto& count : accepted) not_once += count.load() == 1 ? 0 : 1;
  EXPECT_EQ(not_once, 0) << "events not accepted exactly once (seed " << seed << ")";

  std::vector<std::string> keys;
  for (int event = 0; event < kEvents; ++event)
    keys.push_back(KeyOf("evt_" + std::to_string(event)));
  std::size_t missing = 0;
  ASSERT_TRUE(WaitForKeys(keys, 120s, &missing)) << missing << " events never reached the app";
  ASSERT_TRUE(WaitUntilDrained(0, 60s)) << MetricsOf(ports_[0]);
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(effects.requests, static_cast<std::size_t>(kEvents)) << "the app saw redeliveries";
  EXPECT_EQ(effects.duplicates, 0u);
  ExpectOneFencePerDelivery();
  std::cout << "[ " << GetParam() << " ] 3 gateways: " << kEvents * kCopies << " posts of "
            << kEvents << " events in " << post_seconds << " s ("
            << kEvents * kCopies / post_seconds << " posts/s), all delivered after "
            << SecondsSince(start) << " s; answers " << tally.ToString() << "\n";
}

TEST_P(SharedStoreProcessTest, KilledGatewaysLeasesAreTakenOverAndNothingIsLost) {
  StartGateways(3, "lease = \"2s\"\nmax_clock_skew = \"200ms\"\n");
  if (HasFatalFailure()) return;
  // Answers take 20 ms, so that the gateway about to be killed holds deliveries in flight.
  sink_.AnswerSlowly(20ms);
  constexpr int kEvents = 5000;
  constexpr int kCopies = 3;
  constexpr int kThreads = 9;
  const std::uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  std::vector<int> posts;
  for (int event = 0; event < kEvents; ++event) {
    for (int i = 0; i < kCopies; ++i) posts.push_back(event);
  }
  std::shuffle(posts.begin(), posts.end(), rng);
  std::uniform_int_distribution<std::size_t> moment(posts.size() / 5, posts.size() / 2);
  const std::size_t kill_at = moment(rng);
  std::atomic<bool> killed{false};
  std::vector<std::atomic<bool>> acknowledged(kEvents);
  std::atomic<std::size_t> acked_posts{0};
  std::atomic<std::size_t> next{0};
  std::atomic<int> given_up{0};
  AnswerTally tally;
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 thread_rng(seed + static_cast<std::uint64_t>(t) + 1);
      Poster poster(nullptr, kSource);
      for (std::size_t i; (i = next.fetch_add(1)) < posts.size();) {
        const std::string id = "evt_" + std::to_string(posts[i]);
        // Like a provider behind a load balancer: whatever is not a 200 is sent again, to
        // whichever gateway the balancer picks (never the dead one once it is known dead).
        Answer answer;
        const auto deadline = Steady::now() + 60s;
        do {
          const std::size_t first_live = killed ? 1 : 0;
          std::uniform_int_distribution<std::size_t> pick(first_live, ports_.size() - 1);
          answer = poster.PostTo(ports_[pick(thread_rng)], id, Body(id));
        } while (answer.status != 200 && Steady::now() < deadline);
        tally.Add(answer);
        if (answer.status == 200) {
          acknowledged[static_cast<std::size_t>(posts[i])] = true;
          ++acked_posts;
        } else {
          ++given_up;
        }
      }
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return acked_posts.load() >= kill_at; }, 120s));
  const std::string held_before_kill = MetricsOf(ports_[0]);
  gateways_[0]->Signal(SIGKILL);
  gateways_[0]->WaitExit();
  killed = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(given_up.load(), 0) << tally.ToString();

  std::vector<std::string> keys;
  for (int event = 0; event < kEvents; ++event) {
    if (acknowledged[static_cast<std::size_t>(event)]) {
      keys.push_back(KeyOf("evt_" + std::to_string(event)));
    }
  }
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(kEvents));
  std::size_t missing = 0;
  ASSERT_TRUE(WaitForKeys(keys, 120s, &missing))
      << missing << " acknowledged events never reached the app (seed " << seed << ")";
  ASSERT_TRUE(WaitUntilDrained(1, 60s)) << MetricsOf(ports_[1]);
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kEvents));
  ExpectOneFencePerDelivery();
  std::cout << "[ " << GetParam() << " ] gateway 0 killed after " << kill_at << " of "
            << posts.size() << " posts (seed " << seed << "; it held "
            << MetricValue(held_before_kill, "hookfence_dispatcher_held")
            << " deliveries shortly before): " << effects.applied << " events applied once, "
            << effects.duplicates << " redeliveries (same Idempotency-Key) over "
            << effects.duplicate_keys.size() << " keys, in " << SecondsSince(start)
            << " s; answers " << tally.ToString() << "\n";
  RecordProperty("redeliveries", std::to_string(effects.duplicates));
}

TEST_P(SharedStoreProcessTest, PausedGatewaysLateCompletionIsRefusedByTheFence) {
  StartGateways(2, "lease = \"1s\"\nmax_clock_skew = \"200ms\"\n", "response_timeout = \"30s\"\n");
  if (HasFatalFailure()) return;
  const std::string id = "paused_1";
  // The first delivery's answer is held back 1 s: long enough for the test to pause the
  // gateway while it waits for it. Later deliveries are answered at once.
  std::atomic<int> seen{0};
  sink_.SetHook([&](const ReceivedRequest&) -> std::optional<SinkReply> {
    if (seen.fetch_add(1) > 0) return std::nullopt;
    SinkReply reply;
    reply.delay = 1s;
    return reply;
  });
  Poster poster(nullptr, kSource);
  const Answer answer = poster.PostTo(ports_[0], id, Body(id));
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_EQ(answer.Outcome(), "accepted");
  ASSERT_TRUE(WaitUntil([&] { return sink_.count() >= 1; }, 10s));
  gateways_[0]->Signal(SIGSTOP);
  // Gateway 0 cannot renew: its lease lapses and gateway 1 delivers the event again.
  const bool taken_over = WaitUntil([&] { return sink_.count() >= 2; }, 20s);
  ASSERT_TRUE(WaitUntil(
      [&] {
        const boost::json::object record = Event(1, id);
        return record.contains("state") && record.at("state").as_string() == "completed";
      },
      20s));
  gateways_[0]->Signal(SIGCONT);
  ASSERT_TRUE(taken_over);
  // Gateway 0 wakes up to the answer of its first attempt; its Complete (or Renew) carries the
  // old fence and is refused.
  ASSERT_TRUE(WaitUntil(
      [&] { return MetricValue(MetricsOf(ports_[0]), Deliveries("stale_fence")) >= 1; }, 20s))
      << MetricsOf(ports_[0]);
  const auto requests = sink_.RequestsWithHeader("Idempotency-Key", KeyOf(id));
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(HeaderNumber(requests[0], "Hookfence-Fence"), 1u);
  EXPECT_EQ(HeaderNumber(requests[1], "Hookfence-Fence"), 2u);
  const boost::json::object record = Event(0, id);
  EXPECT_EQ(record.at("state").as_string(), "completed");
  EXPECT_EQ(record.at("fence").to_number<int>(), 2) << boost::json::serialize(record);
  EXPECT_LE(MetricValue(MetricsOf(ports_[1]), Deliveries("stale_fence")), 0)
      << "the gateway that took over was never refused";
}

TEST_P(SharedStoreProcessTest, ClockAheadByLessThanTheSkewAllowanceStealsNoLiveLease) {
  // Gateway 1's clock runs 1.8 s ahead, within max_clock_skew (2 s). The lease is 1.5 s and is
  // renewed every 0.5 s while the app takes 4 s to answer: without the allowance gateway 1
  // would see the lease as lapsed all the time and deliver the event again.
  StartGateways(2, "lease = \"1500ms\"\nmax_clock_skew = \"2s\"\n", "response_timeout = \"30s\"\n",
                {"", "HOOKFENCE_TEST_CLOCK_OFFSET_MS=1800"});
  if (HasFatalFailure()) return;
  SinkReply slow;
  slow.delay = 4s;
  sink_.AnswerAll(slow);
  const std::string id = "skewed_1";
  Poster poster(nullptr, kSource);
  const Answer answer = poster.PostTo(ports_[0], id, Body(id));
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const boost::json::object record = Event(0, id);
        return record.contains("state") && record.at("state").as_string() == "completed";
      },
      30s));
  EXPECT_EQ(sink_.RequestsWithHeader("Idempotency-Key", KeyOf(id)).size(), 1u);
  EXPECT_EQ(Event(1, id).at("fence").to_number<int>(), 1);
  for (std::uint16_t port : ports_) {
    EXPECT_LE(MetricValue(MetricsOf(port), Deliveries("stale_fence")), 0) << MetricsOf(port);
  }
}

TEST_P(SharedStoreProcessTest, StoreOutageAnswers503AndRecoversByItself) {
  auto parsed = store::ParseStoreUrl(store_url_);
  ASSERT_TRUE(parsed.ok());
  auto proxy = CuttingProxy::Start(parsed->host, parsed->port);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  store_url_ = UrlThroughProxy(store_url_, (*proxy)->port());
  StartGateways(1, "lease = \"2s\"\n");
  if (HasFatalFailure()) return;
  const std::atomic<std::uint16_t> port{ports_[0]};
  Poster poster(&port, kSource);
  ASSERT_EQ(poster.PostTo(ports_[0], "before", Body("before")).status, 200);

  (*proxy)->SetDown(true);
  int answered_200 = 0;
  const auto readyz = [&] { return AdminCall(ports_[0], "GET", "/readyz").status; };
  ASSERT_TRUE(WaitUntil([&] { return readyz() == 503; }, 20s)) << "/readyz stayed ready";
  for (int i = 0; i < 20; ++i) {
    const std::string id = "during_" + std::to_string(i);
    const Answer answer = poster.PostTo(ports_[0], id, Body(id));
    EXPECT_EQ(answer.status, 503) << answer.body;
    answered_200 += answer.status == 200 ? 1 : 0;
    if (i == 0) {
      EXPECT_NE(answer.body.find("store_unavailable"), std::string::npos) << answer.body;
    }
  }
  EXPECT_EQ(answered_200, 0) << "an event was acknowledged while the store was down";

  (*proxy)->SetDown(false);
  ASSERT_TRUE(WaitUntil([&] { return readyz() == 200; }, 30s)) << "/readyz never recovered";
  // The provider's retries of the refused events now succeed, and every event is delivered.
  std::vector<std::string> keys = {KeyOf("before")};
  for (int i = 0; i < 20; ++i) {
    const std::string id = "during_" + std::to_string(i);
    const Answer answer = poster.PostUntilAccepted(id, Body(id), 30s);
    EXPECT_EQ(answer.status, 200) << answer.body;
    keys.push_back(KeyOf(id));
  }
  std::size_t missing = 0;
  EXPECT_TRUE(WaitForKeys(keys, 60s, &missing)) << missing << " events never reached the app";
  EXPECT_GT((*proxy)->connections_accepted(), 1u) << "the store never reconnected";
}

TEST_P(SharedStoreProcessTest, MigrateCommandAppliesTheSchemaOnce) {
  std::string first;
  ASSERT_EQ(RunCommand({HOOKFENCE_BINARY, "migrate", "--store", store_url_}, &first), 0) << first;
  std::string second;
  ASSERT_EQ(RunCommand({HOOKFENCE_BINARY, "migrate", "--store", store_url_, "--json"}, &second), 0)
      << second;
  EXPECT_NE(first.find("applied"), std::string::npos) << first;
  boost::json::value report = boost::json::parse(second);
  EXPECT_TRUE(report.at("applied").as_array().empty()) << second;
  EXPECT_GE(report.at("version_after").to_number<int>(), 1) << second;
  EXPECT_EQ(first.find(":hookfence@"), std::string::npos) << "the password was printed";
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedStoreProcessTest,
                         ::testing::Values("POSTGRES", "REDIS", "MYSQL"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace hookfence::testing
