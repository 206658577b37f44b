// Whole-process delivery tests: the real `hookfence serve` binary (ServeProcess) with an SQLite
// store in a scratch directory delivers to a TestSink, an in-process app that records every
// request it receives. The test process plays the provider: it signs webhooks for an `hmac`
// source and posts them over real sockets (keep-alive connections, several threads), then checks
// what the app saw against what the provider was told:
//   - 10,000 events, each posted three times, reach the app exactly once (and the throughput);
//   - answers that fail half the time are retried with the same Idempotency-Key until delivered;
//   - an app that is down opens the circuit breaker, and nothing is lost when it comes back;
//   - an answer slower than response_timeout is retried;
//   - final 4xx answers make dead letters, and the admin API replays them;
//   - SIGKILL at random moments loses no acknowledged event (redeliveries are counted);
//   - an ordering key delivers each key's events one at a time, in receipt order.
// Every wait polls a condition with a deadline (PollPause); durations in the configs are short
// (lease 2 s, backoff 50-200 ms, poll every 50 ms), so the whole file runs in about 40 s on 2
// cores.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hookfence/providers.h"
#include "src/server/http_client.h"
#include "testing/scratch_dir.h"
#include "testing/test_sink.h"
#include "tests/integration/gateway_fixture.h"
#include "tests/integration/provider_poster.h"
#include "tests/integration/serve_process.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSource = kProcessTestSource;

class DeliveryProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto port = sink_.Start();
    ASSERT_TRUE(port.ok()) << port.status();
  }

  void TearDown() override {
    if (HasFailure() && gateway_ != nullptr) {
      const std::string log = gateway_->Log();
      std::cout << "---- gateway log (last 4000 bytes) ----\n"
                << log.substr(log.size() > 4000 ? log.size() - 4000 : 0) << "\n";
    }
  }

  // Writes hookfence.toml (one hmac source delivering to the sink, short durations, plus
  // `source_keys` in the [[sources]] entry) and starts the gateway.
  void StartGateway(const std::string& source_keys = "", const std::string& store_keys = "") {
    const std::string config = ProcessTestConfig("sqlite://" + dir_.File("gateway.db"),
                                                 sink_.Url("/app"), store_keys, source_keys);
    WriteFile(dir_.File("hookfence.toml"), config);
    gateway_ = std::make_unique<ServeProcess>(dir_.File("hookfence.toml"), dir_.File("serve.log"));
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
    port_ = gateway_->port();
  }

  // SIGKILLs the gateway and starts it again on the same config and SQLite file.
  void KillAndRestart() {
    gateway_->Signal(SIGKILL);
    gateway_->WaitExit();
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
    port_ = gateway_->port();
  }

  server::HttpResponse Call(const std::string& method, const std::string& target) {
    return AdminCall(port_.load(), method, target);
  }

  // An admin API answer as JSON (null when the call failed or did not answer 200).
  boost::json::value AdminJson(const std::string& method, const std::string& target) {
    server::HttpResponse response = Call(method, target);
    EXPECT_EQ(response.status, 200) << method << " " << target << ": " << response.body;
    if (response.status != 200) return nullptr;
    boost::json::error_code error;
    boost::json::value value = boost::json::parse(response.body, error);
    return error ? boost::json::value(nullptr) : value;
  }

  // Every event summary GET /v1/events (or /v1/dead) lists with `query`, page after page.
  std::vector<boost::json::object> ListAll(const std::string& path, const std::string& query) {
    std::vector<boost::json::object> events;
    std::string cursor;
    do {
      boost::json::value page =
          AdminJson("GET", path + "?limit=1000&source=" + kSource + query +
                               (cursor.empty() ? "" : "&cursor=" + PercentEncode(cursor)));
      if (!page.is_object()) break;
      for (const auto& event : page.at("events").as_array()) {
        events.push_back(event.as_object());
      }
      cursor = std::string(page.at("next_cursor").as_string());
    } while (!cursor.empty());
    return events;
  }

  std::size_t CountState(const std::string& state) {
    return ListAll("/v1/events", "&state=" + state).size();
  }

  boost::json::object Event(const std::string& event_id) {
    boost::json::value event =
        AdminJson("GET", std::string("/v1/events/") + kSource + "/" + PercentEncode(event_id));
    return event.is_object() ? event.as_object() : boost::json::object{};
  }

  // The event's state ("completed", ...), or "" when it cannot be read.
  std::string StateOf(const std::string& event_id) {
    boost::json::object record = Event(event_id);
    const boost::json::value* state = record.if_contains("state");
    return state != nullptr && state->is_string() ? std::string(state->as_string()) : "";
  }

  std::string Metrics() { return MetricsOf(port_.load()); }

  // Attempts the gateway made (answers, timeouts and connection errors), from /metrics.
  double AttemptsMade(const std::string& metrics) {
    double total = 0;
    for (const char* outcome : {"delivered", "retry", "dead", "stale_fence", "store_error"}) {
      total += std::max(0.0, MetricValue(metrics, Deliveries(outcome)));
    }
    return total;
  }

  // Waits until the store holds nothing left to deliver (nothing due, scheduled, leased or
  // dead), as the gateway's gauges say.
  bool WaitUntilDrained(Duration timeout) {
    return WaitUntil([&] { return Drained(Metrics()); }, timeout);
  }

  // Waits until the sink has applied `n` keys; Effects() is computed only when more requests
  // have arrived since the last look.
  bool WaitForApplied(std::size_t n, Duration timeout) {
    std::size_t seen = 0;
    return WaitUntil(
        [&] {
          const std::size_t count = sink_.count();
          if (count < n || count == seen) return false;
          seen = count;
          return sink_.Effects().applied >= n;
        },
        timeout);
  }

  ScratchDir dir_;
  TestSink sink_;
  std::unique_ptr<ServeProcess> gateway_;
  std::atomic<std::uint16_t> port_{0};
};

TEST_F(DeliveryProcessTest, TenThousandEventsEachSentThreeTimesReachTheAppExactlyOnce) {
  // A healthy app must see each event once: the lease is long enough that no renewal can come
  // late on a loaded CI machine (lease lapses are what the kill test covers).
  StartGateway("", "lease = \"30s\"\n");
  constexpr int kEvents = 10000;
  constexpr int kSequentialThreads = 4;  // even events: one thread posts each three times in a row
  constexpr int kTriples = 2;            // odd events: three threads post each at the same moment
  AnswerTally tally;
  std::atomic<int> unanswered{0};
  auto post = [&](Poster& poster, int event) {
    const std::string id = "evt_" + std::to_string(event);
    const Answer answer = poster.Post(id, Body(id));
    tally.Add(answer);
    if (answer.status != 200) ++unanswered;
  };
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kSequentialThreads; ++t) {
    threads.emplace_back([&, t] {
      Poster poster(&port_, kSource);
      for (int event = 2 * t; event < kEvents; event += 2 * kSequentialThreads) {
        for (int repeat = 0; repeat < 3; ++repeat) post(poster, event);
      }
    });
  }
  std::vector<std::unique_ptr<std::barrier<>>> barriers;
  for (int triple = 0; triple < kTriples; ++triple) {
    barriers.push_back(std::make_unique<std::barrier<>>(3));
    for (int member = 0; member < 3; ++member) {
      threads.emplace_back([&, triple] {
        Poster poster(&port_, kSource);
        for (int event = 2 * triple + 1; event < kEvents; event += 2 * kTriples) {
          barriers[static_cast<std::size_t>(triple)]->arrive_and_wait();
          post(poster, event);
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  const double post_seconds = SecondsSince(start);

  EXPECT_EQ(unanswered.load(), 0) << tally.ToString();
  // Each event was stored once; the other two posts of each were recognised as duplicates.
  EXPECT_EQ(tally.Count("accepted") + tally.Count("queued"), static_cast<std::size_t>(kEvents))
      << tally.ToString();
  EXPECT_EQ(tally.Count("duplicate"), static_cast<std::size_t>(2 * kEvents)) << tally.ToString();

  ASSERT_TRUE(WaitForApplied(kEvents, 180s)) << sink_.count() << " requests at the sink";
  const double delivered_seconds = SecondsSince(start);
  ASSERT_TRUE(
      WaitUntil([&] { return MetricValue(Metrics(), Deliveries("delivered")) >= kEvents; }, 60s))
      << Metrics();
  EXPECT_EQ(CountState("completed"), static_cast<std::size_t>(kEvents));
  ASSERT_TRUE(WaitUntilDrained(30s)) << Metrics();

  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(effects.duplicates, 0u) << "a healthy app saw an event twice";
  EXPECT_EQ(effects.requests, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(effects.without_key, 0u);
  const std::set<std::string> applied(effects.applied_keys.begin(), effects.applied_keys.end());
  for (int event = 0; event < kEvents; ++event) {
    if (applied.count(KeyOf("evt_" + std::to_string(event))) == 0) {
      ADD_FAILURE() << "evt_" << event << " never reached the app";
      break;
    }
  }

  const double post_rate = 3.0 * kEvents / post_seconds;
  const double delivery_rate = kEvents / delivered_seconds;
  std::cout << "[ throughput ] " << 3 * kEvents << " posts (" << kEvents << " events) in "
            << post_seconds << " s = " << post_rate << " posts/s; all " << kEvents
            << " delivered after " << delivered_seconds << " s = " << delivery_rate
            << " events/s end to end; answers: " << tally.ToString() << "\n";
  RecordProperty("posts_per_second", std::to_string(static_cast<int>(post_rate)));
  RecordProperty("events_delivered_per_second", std::to_string(static_cast<int>(delivery_rate)));
}

TEST_F(DeliveryProcessTest, HalfTheAnswersFailAndEveryEventEndsDelivered) {
  // Enough attempts that no event runs out of them (2^-40), and a breaker that stays closed so
  // the test measures retries, not cool-downs.
  StartGateway("max_attempts = 40\nbreaker_failures = 1000\n");
  sink_.AnswerWithProbability(0.5, StatusReply(503), 20240601);
  constexpr int kEvents = 300;
  std::atomic<int> next{0};
  std::atomic<int> not_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Poster poster(&port_, kSource);
      for (int event; (event = next.fetch_add(1)) < kEvents;) {
        const std::string id = "flaky_" + std::to_string(event);
        if (poster.Post(id, Body(id)).status != 200) ++not_ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(not_ok.load(), 0);

  ASSERT_TRUE(WaitForApplied(kEvents, 120s)) << sink_.Effects().applied << " applied";
  ASSERT_TRUE(
      WaitUntil([&] { return MetricValue(Metrics(), Deliveries("delivered")) >= kEvents; }, 60s))
      << Metrics();
  ASSERT_TRUE(WaitUntilDrained(30s)) << Metrics();

  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(effects.duplicates, 0u) << "an event was delivered again after a 2xx";
  EXPECT_GT(effects.failed, 0u);

  std::map<std::size_t, std::size_t> histogram;  // attempts -> events
  std::size_t retried = 0;
  std::size_t max_attempts = 0;
  for (const auto& [key, requests] : ByKey(sink_.Requests())) {
    SCOPED_TRACE(key);
    ASSERT_FALSE(requests.empty());
    const std::string event_id = key.substr(std::string(kSource).size() + 1);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      // The same event every time: its id, its body, its key; attempts numbered 1, 2, ...
      EXPECT_EQ(requests[i].Header("Hookfence-Event-Id").value_or(""), event_id);
      EXPECT_EQ(requests[i].body, Body(event_id));
      EXPECT_EQ(HeaderNumber(requests[i], "Hookfence-Attempt"), i + 1);
      if (i + 1 < requests.size()) {
        EXPECT_EQ(requests[i].answer_status, 503);
        EXPECT_GT(HeaderNumber(requests[i + 1], "Hookfence-Fence"),
                  HeaderNumber(requests[i], "Hookfence-Fence"))
            << "a retry must carry a higher fence";
      } else {
        EXPECT_EQ(requests[i].answer_status, 200);
      }
    }
    // The store counted every attempt and logged each answer.
    boost::json::object record = Event(event_id);
    ASSERT_FALSE(record.empty());
    EXPECT_EQ(record.at("state").as_string(), "completed");
    EXPECT_EQ(static_cast<std::size_t>(record.at("attempts").to_number<std::uint64_t>()),
              requests.size());
    const auto& log = record.at("attempt_log").as_array();
    const std::size_t logged = std::min<std::size_t>(requests.size(), 20);
    ASSERT_EQ(log.size(), logged);
    for (std::size_t i = 0; i < logged; ++i) {
      const ReceivedRequest& request = requests[requests.size() - logged + i];
      EXPECT_EQ(log[i].at("status").to_number<int>(), request.answer_status);
      EXPECT_EQ(log[i].at("fence").to_number<std::uint64_t>(),
                HeaderNumber(request, "Hookfence-Fence"));
    }
    ++histogram[requests.size()];
    if (requests.size() > 1) ++retried;
    max_attempts = std::max(max_attempts, requests.size());
  }
  EXPECT_GT(retried, 0u) << "no event needed a second attempt";

  std::string spread;
  for (const auto& [attempts, events] : histogram) {
    spread += std::to_string(attempts) + ":" + std::to_string(events) + " ";
  }
  std::cout << "[ attempts ] " << kEvents << " events, " << effects.requests << " requests ("
            << effects.failed << " answered 503), " << retried << " events retried, at most "
            << max_attempts << " attempts; attempts:events " << spread << "\n";
  RecordProperty("requests", std::to_string(effects.requests));
  RecordProperty("events_retried", std::to_string(retried));
  RecordProperty("max_attempts", std::to_string(max_attempts));
}

TEST_F(DeliveryProcessTest, AppDownOpensTheBreakerAndNothingIsLost) {
  constexpr int kBreakerFailures = 5;
  StartGateway("breaker_failures = " + std::to_string(kBreakerFailures) + "\n");
  sink_.Stop();  // the app is down: its port refuses connections, and stays ours for later
  constexpr int kEvents = 100;
  {
    Poster poster(&port_, kSource);
    for (int event = 0; event < kEvents; ++event) {
      const std::string id = "down_" + std::to_string(event);
      EXPECT_EQ(poster.Post(id, Body(id)).status, 200) << id;
    }
  }
  // The breaker opens, and the gateway keeps probing: wait for two failed probes after the
  // threshold, looking at the breaker's gauge on the way.
  bool seen_open = false;
  double attempts_while_down = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string metrics = Metrics();
        if (MetricValue(metrics,
                        std::string("hookfence_breaker_state{source=\"") + kSource + "\"}") == 1) {
          seen_open = true;
        }
        attempts_while_down = AttemptsMade(metrics);
        return seen_open && attempts_while_down >= kBreakerFailures + 2;
      },
      30s))
      << Metrics();
  const std::string metrics = Metrics();
  attempts_while_down = AttemptsMade(metrics);
  EXPECT_TRUE(seen_open);
  // Without a breaker every event would be tried until its attempts ran out (100 x 12); with it
  // most events are never tried while the app is down, and none burns its attempts.
  EXPECT_LT(attempts_while_down, kEvents / 2.0) << metrics;
  EXPECT_EQ(MetricValue(metrics, "hookfence_dead_letters"), 0) << metrics;
  EXPECT_EQ(sink_.count(), 0u);

  ASSERT_TRUE(sink_.Start().ok());
  ASSERT_TRUE(WaitForApplied(kEvents, 60s)) << sink_.Effects().applied << " applied";
  ASSERT_TRUE(WaitUntilDrained(30s)) << Metrics();
  EXPECT_EQ(CountState("completed"), static_cast<std::size_t>(kEvents));
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(effects.duplicates, 0u);
  EXPECT_EQ(effects.requests, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(
      MetricValue(Metrics(), std::string("hookfence_breaker_state{source=\"") + kSource + "\"}"),
      0);
  std::cout << "[ breaker ] app down: " << attempts_while_down << " connection attempts for "
            << kEvents << " events (" << kEvents * 12
            << " without a breaker); all delivered once it came back\n";
  RecordProperty("attempts_while_down", std::to_string(static_cast<int>(attempts_while_down)));
}

TEST_F(DeliveryProcessTest, AStalledAnswerTimesOutAndIsRetried) {
  StartGateway();
  SinkReply slow = StatusReply(200);
  slow.delay = 3s;  // far beyond response_timeout (500ms)
  sink_.AnswerNext(1, slow);
  const std::string id = "slow_1";
  {
    Poster poster(&port_, kSource);
    ASSERT_EQ(poster.Post(id, Body(id)).status, 200);
  }
  ASSERT_TRUE(WaitUntil([&] { return StateOf(id) == "completed"; }, 30s))
      << boost::json::serialize(Event(id));

  const auto requests = sink_.RequestsWithHeader("Idempotency-Key", KeyOf(id));
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(HeaderNumber(requests[0], "Hookfence-Attempt"), 1u);
  EXPECT_EQ(HeaderNumber(requests[1], "Hookfence-Attempt"), 2u);
  EXPECT_GT(HeaderNumber(requests[1], "Hookfence-Fence"),
            HeaderNumber(requests[0], "Hookfence-Fence"));
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(requests[1].arrived_at -
                                                                         requests[0].arrived_at);
  // The retry came once the first attempt timed out (500 ms), not after the app's 3 s answer.
  EXPECT_GE(gap, 450ms);
  EXPECT_LT(gap, 2900ms);
  boost::json::object record = Event(id);
  EXPECT_EQ(record.at("attempts").to_number<int>(), 2);
  const auto& log = record.at("attempt_log").as_array();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].at("status").to_number<int>(), 0);  // no answer: a timeout
  EXPECT_FALSE(log[0].at("error").as_string().empty());
  EXPECT_EQ(log[1].at("status").to_number<int>(), 200);
  std::cout << "[ timeout ] " << requests.size() << " requests; retry " << gap.count()
            << " ms after the first; first attempt: " << log[0].at("error").as_string() << "\n";
}

TEST_F(DeliveryProcessTest, RejectedEventsGoDeadAndReplayDeliversThem) {
  StartGateway();
  sink_.SetHook([](const ReceivedRequest& request) -> std::optional<SinkReply> {
    const auto id = request.Header("Hookfence-Event-Id").value_or("");
    if (id.substr(0, 7) == "reject_") return StatusReply(422);
    return std::nullopt;
  });
  constexpr int kRejected = 20;
  constexpr int kAccepted = 10;
  {
    Poster poster(&port_, kSource);
    for (int event = 0; event < kRejected; ++event) {
      const std::string id = "reject_" + std::to_string(event);
      EXPECT_EQ(poster.Post(id, Body(id)).status, 200);
    }
    for (int event = 0; event < kAccepted; ++event) {
      const std::string id = "fine_" + std::to_string(event);
      EXPECT_EQ(poster.Post(id, Body(id)).status, 200);
    }
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ListAll("/v1/dead", "").size() == kRejected &&
               CountState("completed") == static_cast<std::size_t>(kAccepted);
      },
      30s))
      << ListAll("/v1/dead", "").size() << " dead";
  for (const auto& dead : ListAll("/v1/dead", "")) {
    EXPECT_EQ(dead.at("state").as_string(), "dead");
    EXPECT_EQ(dead.at("attempts").to_number<int>(), 1) << "a final 4xx is not retried";
    EXPECT_NE(std::string(dead.at("last_error").as_string()).find("422"), std::string::npos)
        << boost::json::serialize(dead);
  }
  EXPECT_EQ(sink_.count(), static_cast<std::size_t>(kRejected + kAccepted));

  // The app is fixed. Replay one dead letter by id...
  sink_.SetHook({});
  const std::string first = "reject_0";
  const std::uint64_t dead_fence = HeaderNumber(
      sink_.RequestsWithHeader("Idempotency-Key", KeyOf(first)).at(0), "Hookfence-Fence");
  boost::json::value replayed =
      AdminJson("POST", std::string("/v1/events/") + kSource + "/" + first + "/replay");
  ASSERT_TRUE(replayed.is_object());
  EXPECT_EQ(replayed.at("status").as_string(), "replayed");
  ASSERT_TRUE(WaitUntil([&] { return StateOf(first) == "completed"; }, 30s))
      << boost::json::serialize(Event(first));
  const auto again = sink_.RequestsWithHeader("Idempotency-Key", KeyOf(first));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1].answer_status, 200);
  EXPECT_EQ(HeaderNumber(again[1], "Hookfence-Attempt"), 1u) << "a replay starts again at 1";
  EXPECT_GT(HeaderNumber(again[1], "Hookfence-Fence"), dead_fence);
  EXPECT_EQ(ListAll("/v1/dead", "").size(), static_cast<std::size_t>(kRejected - 1));

  // ...then the rest in bulk.
  boost::json::value bulk =
      AdminJson("POST", std::string("/v1/replay?source=") + kSource + "&state=dead");
  ASSERT_TRUE(bulk.is_object());
  EXPECT_EQ(bulk.at("replayed").to_number<int>(), kRejected - 1) << boost::json::serialize(bulk);
  ASSERT_TRUE(WaitForApplied(kRejected + kAccepted, 30s)) << sink_.Effects().applied;
  ASSERT_TRUE(WaitUntil(
      [&] { return CountState("completed") == static_cast<std::size_t>(kRejected + kAccepted); },
      30s));
  EXPECT_TRUE(ListAll("/v1/dead", "").empty());
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kRejected + kAccepted));
  EXPECT_EQ(effects.failed, static_cast<std::size_t>(kRejected));  // the 422s applied nothing
  EXPECT_EQ(effects.duplicates, 0u);
}

TEST_F(DeliveryProcessTest, KilledFiveTimesLosesNothingAcknowledged) {
  StartGateway();
  constexpr int kEvents = 5000;
  constexpr int kPostsPerEvent = 2;
  constexpr int kKills = 5;
  constexpr int kThreads = 8;
  const std::uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  std::vector<int> posts;
  for (int event = 0; event < kEvents; ++event) {
    for (int i = 0; i < kPostsPerEvent; ++i) posts.push_back(event);
  }
  std::shuffle(posts.begin(), posts.end(), rng);
  // The kills happen once this many posts have been acknowledged: random moments of the run.
  std::vector<std::size_t> kill_at;
  std::uniform_int_distribution<std::size_t> moment(posts.size() / 20, posts.size() * 9 / 10);
  for (int k = 0; k < kKills; ++k) kill_at.push_back(moment(rng));
  std::sort(kill_at.begin(), kill_at.end());

  std::vector<std::atomic<bool>> acknowledged(kEvents);
  std::atomic<std::size_t> acked_posts{0};
  std::atomic<std::size_t> next{0};
  std::atomic<int> refused{0};
  AnswerTally tally;
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Poster poster(&port_, kSource);
      for (std::size_t i; (i = next.fetch_add(1)) < posts.size();) {
        const std::string id = "crash_" + std::to_string(posts[i]);
        const Answer answer = poster.PostUntilAccepted(id, Body(id), 120s);
        tally.Add(answer);
        if (answer.status == 200) {
          acknowledged[static_cast<std::size_t>(posts[i])] = true;
          ++acked_posts;
        } else {
          ++refused;
        }
      }
    });
  }
  int kills = 0;
  for (std::size_t threshold : kill_at) {
    if (!WaitUntil([&] { return acked_posts.load() >= threshold; }, 120s)) break;
    KillAndRestart();
    if (HasFatalFailure()) break;
    ++kills;
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(kills, kKills) << "seed " << seed;
  EXPECT_EQ(refused.load(), 0) << tally.ToString();

  std::vector<std::string> acked_keys;
  for (int event = 0; event < kEvents; ++event) {
    if (acknowledged[static_cast<std::size_t>(event)]) {
      acked_keys.push_back(KeyOf("crash_" + std::to_string(event)));
    }
  }
  EXPECT_EQ(acked_keys.size(), static_cast<std::size_t>(kEvents));
  // Every acknowledged event reaches the app, the ones the killed gateways held included (their
  // leases lapse and the restarted gateway claims them again).
  std::size_t missing = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        if (sink_.count() < acked_keys.size()) return false;
        const EffectsView effects = sink_.Effects();
        const std::set<std::string> seen(effects.applied_keys.begin(), effects.applied_keys.end());
        missing = 0;
        for (const std::string& key : acked_keys) missing += seen.count(key) == 0 ? 1 : 0;
        return missing == 0;
      },
      120s))
      << missing << " acknowledged events never reached the app (seed " << seed << ")";
  ASSERT_TRUE(WaitUntilDrained(60s)) << Metrics();
  EXPECT_EQ(CountState("completed"), static_cast<std::size_t>(kEvents));

  // Every redelivery is the same event under the same key, with a fence of its own.
  const auto groups = ByKey(sink_.Requests());
  for (const auto& [key, requests] : groups) {
    const std::string event_id = key.substr(std::string(kSource).size() + 1);
    std::set<std::uint64_t> fences;
    for (const ReceivedRequest& request : requests) {
      EXPECT_EQ(request.Header("Hookfence-Event-Id").value_or(""), event_id) << key;
      EXPECT_EQ(request.body, Body(event_id)) << key;
      EXPECT_TRUE(fences.insert(HeaderNumber(request, "Hookfence-Fence")).second)
          << key << " delivered twice with the same fence";
    }
  }
  EXPECT_EQ(groups.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(groups.count(""), 0u) << "requests without an Idempotency-Key";
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kEvents));
  std::cout << "[ kill -9 ] " << kills << " kills (seed " << seed << ") during " << posts.size()
            << " posts of " << kEvents << " events in " << SecondsSince(start)
            << " s: " << effects.requests << " requests reached the app, " << effects.duplicates
            << " redeliveries (same Idempotency-Key) over " << effects.duplicate_keys.size()
            << " keys; answers: " << tally.ToString() << "\n";
  RecordProperty("redeliveries", std::to_string(effects.duplicates));
  RecordProperty("seed", std::to_string(seed));
}

TEST_F(DeliveryProcessTest, OrderingKeyDeliversEachKeyInReceiptOrder) {
  StartGateway("ordering_key = \"data.object.id\"\nmax_attempts = 40\n");
  // Some answers fail (each failure holds its key back until the retry succeeds), and every
  // answer takes 10 ms, so that deliveries of different keys overlap visibly.
  sink_.AnswerWithProbability(0.1, StatusReply(503), 77);
  constexpr auto kAnswerTime = 10ms;
  sink_.AnswerSlowly(kAnswerTime);
  constexpr int kEvents = 1000;
  constexpr int kKeys = 50;
  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> pick(0, kKeys - 1);
  std::map<std::string, std::vector<std::string>> posted;  // object id -> event ids, in order
  std::map<std::string, std::string> object_of;            // event id -> object id
  {
    Poster poster(&port_, kSource);
    for (int event = 0; event < kEvents; ++event) {
      const std::string id = "ord_" + std::to_string(event);
      const std::string object = "inv_" + std::to_string(pick(rng));
      const Answer answer = poster.Post(id, Body(id, object));
      ASSERT_EQ(answer.status, 200) << id << ": " << answer.body;
      posted[object].push_back(id);
      object_of[id] = object;
    }
  }
  ASSERT_TRUE(WaitForApplied(kEvents, 120s)) << sink_.Effects().applied << " applied";
  ASSERT_TRUE(WaitUntilDrained(30s)) << Metrics();

  std::vector<ReceivedRequest> requests = sink_.Requests();
  std::sort(requests.begin(), requests.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  // Walk the arrivals: a request for a key must be for that key's oldest undelivered event (one
  // at a time, in receipt order); its 2xx moves the key on to the next event.
  std::map<std::string, std::size_t> delivered;  // object id -> events delivered so far
  std::map<std::string, std::vector<std::string>> first_successes;
  std::size_t out_of_turn = 0;
  std::size_t switches = 0;  // consecutive successful deliveries of different keys
  std::string previous_object;
  for (const ReceivedRequest& request : requests) {
    const std::string id(request.Header("Hookfence-Event-Id").value_or(""));
    const std::string& object = object_of[id];
    const std::vector<std::string>& order = posted[object];
    std::size_t& done = delivered[object];
    if (done >= order.size() || order[done] != id) {
      if (++out_of_turn <= 5) {
        ADD_FAILURE() << id << " (key " << object << ") arrived out of turn: expected "
                      << (done < order.size() ? order[done] : "nothing");
      }
      continue;
    }
    if (request.answer_status >= 200 && request.answer_status < 300) {
      ++done;
      first_successes[object].push_back(id);
      if (!previous_object.empty() && previous_object != object) ++switches;
      previous_object = object;
    }
  }
  EXPECT_EQ(out_of_turn, 0u);
  for (const auto& [object, order] : posted) {
    EXPECT_EQ(first_successes[object], order) << object;
  }
  // Different keys go in parallel: requests that arrived while another's answer was still held
  // (within kAnswerTime of it) were in flight at the same time.
  std::size_t max_concurrency = 0;
  for (std::size_t i = 0, j = 0; i < requests.size(); ++i) {
    while (requests[i].arrived_at - requests[j].arrived_at >= kAnswerTime) ++j;
    max_concurrency = std::max(max_concurrency, i - j + 1);
  }
  EXPECT_GT(max_concurrency, 1u);
  EXPECT_GT(switches, static_cast<std::size_t>(kKeys));
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.applied, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(effects.duplicates, 0u);
  std::cout << "[ ordering ] " << kEvents << " events over " << kKeys
            << " keys: " << effects.requests << " requests (" << effects.failed
            << " answered 503), " << out_of_turn << " out of turn, up to " << max_concurrency
            << " requests in flight at once, " << switches << " key switches\n";
  RecordProperty("max_concurrency", std::to_string(max_concurrency));
}

}  // namespace
}  // namespace hookfence::testing
