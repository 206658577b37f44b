// The delivery dispatcher over real sockets (DESIGN §2 and §5, docs/delivery.md): an in-process
// gateway on an SQLite store delivers to a TestSink playing the app. Leases, due times, backoff
// and the circuit breaker run on the fixture's SimulatedClock; the dispatcher's poller and the
// HTTP exchanges run on real threads, which the tests wait for by polling a condition with a
// deadline (never by sleeping).
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/standard_webhooks_node.h"
#include "testing/test_sink.h"
#include "tests/integration/gateway_fixture.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = std::chrono::seconds(20);
constexpr char kSigningSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Polls `condition` until it holds or the deadline passes; true when it holds.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::steady_clock::duration timeout = kDeadline) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::yield();
  }
  return true;
}

// The value of one series (`name{labels}` exactly as rendered) in a Prometheus text, if present.
std::optional<double> MetricValue(const std::string& text, std::string_view series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

std::string HeaderOf(const ReceivedRequest& request, std::string_view name) {
  auto value = request.Header(name);
  return value ? std::string(*value) : std::string("(absent)");
}

std::string Deliveries(std::string_view outcome) {
  return "hookfence_deliveries_total{source=\"hooks\",outcome=\"" + std::string(outcome) + "\"}";
}

class DispatcherTest : public GatewayFixture {
 protected:
  void SetUp() override { ASSERT_TRUE(sink_.Start().ok()); }

  // One hmac source "hooks" delivering to the sink, polled every 20 ms.
  server::Config SinkConfig() {
    server::Config config = DefaultConfig();
    config.sources[0].destination = sink_.Url("/hooks");
    config.delivery.poll_interval = 20ms;
    config.delivery.shutdown_grace = 2s;
    return config;
  }
  server::SourceConfig SinkSource(const std::string& name) {
    server::SourceConfig source = HmacSource(name);
    source.destination = sink_.Url("/" + name);
    return source;
  }

  static std::string Body(const std::string& id) { return R"({"id":")" + id + R"(","n":1})"; }

  // Posts an event to `source` (default "hooks") and expects it accepted.
  void Accept(const std::string& id, std::size_t source = 0) {
    auto response = PostSigned(config_.sources[source], Body(id), id);
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_TRUE(Contains(response.body, R"("status":"accepted")")) << response.body;
  }

  Record Fetch(const std::string& key) {
    auto record = store_->Get(key);
    EXPECT_TRUE(record.ok()) << key << ": " << record.status();
    return record.ok() ? *record : Record{};
  }

  // Waits until the record of `key` satisfies `predicate`; the record as last read.
  template <typename Predicate>
  Record WaitForRecord(const std::string& key, Predicate predicate) {
    Record last;
    const bool held = Eventually([&] {
      auto record = store_->Get(key);
      if (!record.ok()) return false;
      last = *record;
      return predicate(last);
    });
    EXPECT_TRUE(held) << key << " never reached the expected state; last: state "
                      << StateName(last.state) << ", fence " << last.fence << ", attempts "
                      << last.attempts << ", last_error '" << last.last_error << "'";
    return last;
  }
  Record WaitForState(const std::string& key, State state, std::uint32_t attempts) {
    return WaitForRecord(
        key, [&](const Record& r) { return r.state == state && r.attempts == attempts; });
  }

  std::string Metrics() {
    auto response = Get("/metrics");
    EXPECT_EQ(response.status, 200);
    return response.body;
  }
  // Waits until /metrics shows `series` at `value`; the text as last scraped.
  std::string WaitForMetric(std::string_view series, double value) {
    std::string text;
    const bool held = Eventually([&] {
      text = Metrics();
      return MetricValue(text, series) == value;
    });
    EXPECT_TRUE(held) << series << " never became " << value << "; /metrics:\n" << text;
    return text;
  }

  // Waits until the dispatcher has gone through at least `cycles` more poll cycles (each one is a
  // ClaimDue through the fault-injecting wrapper): real time in which it could have acted.
  void WaitForPollCycles(int cycles) {
    const long long start = faults_->calls();
    ASSERT_TRUE(Eventually([&] { return faults_->calls() >= start + cycles; }))
        << "the dispatcher stopped polling";
  }

  TestSink sink_;
};

// DESIGN §2: a stale worker (its lease lapsed while its request hung, another claim took over)
// cannot complete, fail or renew; the event ends delivered with the same Idempotency-Key and a
// higher fence.
TEST_F(DispatcherTest, StaleWorkerCannotCompleteFailOrRenew) {
  server::Config config = SinkConfig();
  StartGateway(config);
  const Duration lease = config.store.lease;
  const std::string key = "hooks:slow";
  sink_.Stall();
  Accept("slow");
  ASSERT_TRUE(sink_.WaitForHeld(1, std::chrono::steady_clock::now() + kDeadline));
  EXPECT_EQ(Fetch(key).fence, 1u);

  // Hold the gateway's store calls (its poller waits in ClaimDue) while the lease lapses, so the
  // takeover is the test's own: another worker on the same store.
  faults_->Stall();
  ASSERT_TRUE(Eventually([&] { return faults_->stalled() >= 1; }));
  clock_.Advance(lease + config.store.max_clock_skew + 1s);
  auto claims = store_->ClaimDue(10, lease);
  ASSERT_TRUE(claims.ok()) << claims.status();
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].record.key, key);
  EXPECT_EQ((*claims)[0].record.fence, 2u);

  // The stale fence is refused, and changes nothing.
  const Attempt stale_attempt{clock_.Now(), 1, 200, "", Duration{0}};
  EXPECT_EQ(store_->Complete(key, 1, stale_attempt, std::nullopt).code(), StatusCode::kAborted);
  FailRequest stale_fail;
  stale_fail.key = key;
  stale_fail.fence = 1;
  stale_fail.attempt = stale_attempt;
  stale_fail.error = "stale";
  stale_fail.retry_at = clock_.Now();
  EXPECT_EQ(store_->Fail(stale_fail).code(), StatusCode::kAborted);
  stale_fail.dead = true;
  EXPECT_EQ(store_->Fail(stale_fail).code(), StatusCode::kAborted);
  EXPECT_EQ(store_->Renew(key, 1, lease).status().code(), StatusCode::kAborted);
  Record taken = Fetch(key);
  EXPECT_EQ(taken.state, State::kInProgress);
  EXPECT_EQ(taken.fence, 2u);
  EXPECT_EQ(taken.attempts, 1u);  // the lost attempt counts
  ASSERT_EQ(taken.attempt_log.size(), 1u);
  EXPECT_EQ(taken.attempt_log[0].error, "lease expired");

  // The hung request now gets its 200: the gateway's Complete with fence 1 must be refused while
  // the test's claim holds the record.
  faults_->Resume();
  sink_.Release();
  WaitForMetric(Deliveries("stale_fence"), 1);
  Record after_stale = Fetch(key);
  EXPECT_EQ(after_stale.state, State::kInProgress) << "the stale Complete changed the record";
  EXPECT_EQ(after_stale.fence, 2u);
  EXPECT_EQ(after_stale.attempts, 1u);
  EXPECT_EQ(after_stale.attempt_log.size(), 1u);

  // The test's worker gives its claim back; the dispatcher claims it again and delivers.
  ASSERT_TRUE(store_->Release(key, 2).ok());
  Record done = WaitForRecord(key, [](const Record& r) { return r.state == State::kCompleted; });
  EXPECT_EQ(done.fence, 3u);
  EXPECT_EQ(done.attempts, 2u);
  ASSERT_FALSE(done.attempt_log.empty());
  EXPECT_EQ(done.attempt_log.back().fence, 3u);
  EXPECT_EQ(done.attempt_log.back().status, 200);

  const std::vector<ReceivedRequest> requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(HeaderOf(requests[0], "Idempotency-Key"), key);
  EXPECT_EQ(HeaderOf(requests[1], "Idempotency-Key"), key);
  EXPECT_EQ(HeaderOf(requests[0], "Hookfence-Fence"), "1");
  EXPECT_EQ(HeaderOf(requests[1], "Hookfence-Fence"), "3");
  EXPECT_EQ(HeaderOf(requests[1], "Hookfence-Attempt"), "2");
  EXPECT_EQ(requests[0].body, requests[1].body);
  const std::string metrics = WaitForMetric(Deliveries("delivered"), 1);
  EXPECT_EQ(MetricValue(metrics, Deliveries("stale_fence")), 1);
}

// docs/delivery-policy.md: exponential backoff with full jitter on the injected clock, the
// destination's Retry-After honoured, DEAD once max_attempts attempts failed.
TEST_F(DispatcherTest, RetriesFollowTheBackoffSchedule) {
  server::Config config = SinkConfig();
  server::DeliveryConfig& delivery = config.sources[0].delivery;
  delivery.backoff_base = 1min;
  delivery.backoff_max = 1h;
  // Attempts 1 and 2 show the backoff ceilings, 3 the Retry-After, 4 the death.
  delivery.max_attempts = 4;
  StartGateway(config);
  const std::string key = "hooks:r1";
  sink_.AnswerAll(StatusReply(503));

  const Timestamp t1 = clock_.Now();
  Accept("r1");
  Record first = WaitForState(key, State::kPending, 1);
  ASSERT_TRUE(first.due_at.has_value());
  EXPECT_GE(*first.due_at, t1);
  EXPECT_LE(*first.due_at, t1 + 1min);
  EXPECT_FALSE(first.lease_until.has_value());
  ASSERT_EQ(first.attempt_log.size(), 1u);
  EXPECT_EQ(first.attempt_log[0].status, 503);
  EXPECT_EQ(first.attempt_log[0].fence, 1u);
  EXPECT_EQ(first.attempt_log[0].at, t1);
  EXPECT_TRUE(Contains(first.last_error, "503")) << first.last_error;

  // Due: the poller claims it (a new fence) and the ceiling has doubled.
  const Timestamp t2 = *first.due_at;
  clock_.Set(t2);
  Record second = WaitForState(key, State::kPending, 2);
  ASSERT_TRUE(second.due_at.has_value());
  EXPECT_GE(*second.due_at, t2);
  EXPECT_LE(*second.due_at, t2 + 2min);
  ASSERT_EQ(second.attempt_log.size(), 2u);
  EXPECT_EQ(second.attempt_log[1].status, 503);
  EXPECT_EQ(second.attempt_log[1].fence, 2u);
  EXPECT_EQ(second.attempt_log[1].at, t2);

  // A Retry-After longer than the drawn delay wins.
  sink_.AnswerAll(StatusReply(503, 600));
  const Timestamp t3 = *second.due_at;
  clock_.Set(t3);
  Record third = WaitForState(key, State::kPending, 3);
  ASSERT_TRUE(third.due_at.has_value());
  EXPECT_GE(*third.due_at, t3 + 600s);
  EXPECT_LE(*third.due_at, t3 + 600s + 4min);
  EXPECT_EQ(third.attempt_log.back().fence, 3u);

  // The last allowed attempt fails: DEAD, and it says why.
  sink_.AnswerAll(StatusReply(503));
  clock_.Set(*third.due_at);
  Record dead = WaitForState(key, State::kDead, 4);
  EXPECT_TRUE(dead.finished_at.has_value());
  EXPECT_FALSE(dead.due_at.has_value());
  EXPECT_TRUE(Contains(dead.last_error, "4 attempts")) << dead.last_error;
  EXPECT_TRUE(Contains(dead.last_error, "503")) << dead.last_error;

  const std::vector<ReceivedRequest> requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 4u);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(HeaderOf(requests[i], "Idempotency-Key"), key);
    EXPECT_EQ(HeaderOf(requests[i], "Hookfence-Fence"), std::to_string(i + 1));
    EXPECT_EQ(HeaderOf(requests[i], "Hookfence-Attempt"), std::to_string(i + 1));
  }
  // Dead is final: no more deliveries however far the clock goes.
  clock_.Advance(24h);
  WaitForPollCycles(10);
  EXPECT_EQ(sink_.count(), 4u);
}

// DESIGN §5: a final 4xx makes the event DEAD at once, unless the source sets retry_4xx.
TEST_F(DispatcherTest, FinalAnswerIsDeadUnlessRetry4xx) {
  server::Config config = SinkConfig();
  config.sources.push_back(SinkSource("patient"));
  config.sources[1].delivery.retry_4xx = true;
  StartGateway(config);
  sink_.AnswerAll(StatusReply(422));
  Accept("f1", 0);
  Accept("f1", 1);

  Record refused = WaitForState("hooks:f1", State::kDead, 1);
  EXPECT_TRUE(Contains(refused.last_error, "422")) << refused.last_error;
  EXPECT_TRUE(Contains(refused.last_error, "final")) << refused.last_error;
  ASSERT_EQ(refused.attempt_log.size(), 1u);
  EXPECT_EQ(refused.attempt_log[0].status, 422);

  Record retried = WaitForState("patient:f1", State::kPending, 1);
  ASSERT_TRUE(retried.due_at.has_value());
  EXPECT_GE(*retried.due_at, clock_.Now());
  EXPECT_TRUE(Contains(retried.last_error, "422")) << retried.last_error;
  EXPECT_EQ(sink_.count(), 2u);
}

// DESIGN §5: timeouts and connection errors are retryable failures.
TEST_F(DispatcherTest, TimeoutsAndConnectionErrorsAreRetryable) {
  // A port that is bound but never listens: connecting to it is refused.
  const int closed = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(closed, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(closed, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(getsockname(closed, reinterpret_cast<sockaddr*>(&address), &length), 0);

  server::Config config = SinkConfig();
  config.sources[0].delivery.response_timeout = 200ms;
  config.sources.push_back(HmacSource("down"));
  config.sources[1].destination =
      "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/hooks";
  StartGateway(config);
  sink_.Stall();
  Accept("t1", 0);
  Accept("c1", 1);

  Record timed_out = WaitForState("hooks:t1", State::kPending, 1);
  ASSERT_EQ(timed_out.attempt_log.size(), 1u);
  EXPECT_EQ(timed_out.attempt_log[0].status, 0);
  EXPECT_TRUE(Contains(timed_out.attempt_log[0].error, "timeout"))
      << timed_out.attempt_log[0].error;
  EXPECT_TRUE(Contains(timed_out.last_error, "timeout")) << timed_out.last_error;
  ASSERT_TRUE(timed_out.due_at.has_value());
  EXPECT_GE(*timed_out.due_at, clock_.Now());
  EXPECT_EQ(sink_.count(), 1u);  // it reached the app, which never answered

  Record refused = WaitForState("down:c1", State::kPending, 1);
  ASSERT_EQ(refused.attempt_log.size(), 1u);
  EXPECT_EQ(refused.attempt_log[0].status, 0);
  EXPECT_TRUE(Contains(refused.attempt_log[0].error, "connection error"))
      << refused.attempt_log[0].error;
  ASSERT_TRUE(refused.due_at.has_value());
  EXPECT_GE(*refused.due_at, clock_.Now());
  close(closed);
}

// DESIGN §5, SIGTERM: deliveries that have not started give their leases back (PENDING, due
// now, attempts unchanged), so another gateway can take them at once; the one in flight gets
// shutdown_grace to finish.
TEST_F(DispatcherTest, WaitingDeliveriesAreReleasedOnShutdown) {
  server::Config config = SinkConfig();
  config.sources[0].delivery.max_in_flight = 1;
  config.delivery.shutdown_grace = 5s;
  StartGateway(config);
  // max_hold: a safety net only; the test releases the stall itself.
  sink_.Stall(30s);
  const std::vector<std::string> ids = {"s1", "s2", "s3", "s4", "s5"};
  for (const std::string& id : ids) Accept(id);
  ASSERT_TRUE(sink_.WaitForHeld(1, std::chrono::steady_clock::now() + kDeadline));
  const std::string in_flight = HeaderOf(sink_.Requests()[0], "Idempotency-Key");
  for (const std::string& id : ids) {
    EXPECT_EQ(Fetch("hooks:" + id).state, State::kInProgress) << id;
  }
  const Timestamp now = clock_.Now();

  auto shutdown = std::async(std::launch::async, [this] { gateway_->Shutdown(); });
  // The four waiting deliveries are released while the fifth is still in flight.
  for (const std::string& id : ids) {
    const std::string key = "hooks:" + id;
    if (key == in_flight) continue;
    WaitForRecord(key, [](const Record& r) { return r.state == State::kPending; });
  }
  EXPECT_EQ(Fetch(in_flight).state, State::kInProgress);
  sink_.Release();
  ASSERT_EQ(shutdown.wait_for(kDeadline), std::future_status::ready);
  shutdown.get();

  // The clock never moved: these are releases, not lapsed leases.
  EXPECT_EQ(clock_.Now(), now);
  for (const std::string& id : ids) {
    const std::string key = "hooks:" + id;
    Record record = Fetch(key);
    if (key == in_flight) {
      EXPECT_EQ(record.state, State::kCompleted) << key;
      EXPECT_EQ(record.attempts, 1u) << key;
      continue;
    }
    EXPECT_EQ(record.state, State::kPending) << key;
    EXPECT_EQ(record.attempts, 0u) << key;
    EXPECT_EQ(record.fence, 1u) << key;
    EXPECT_FALSE(record.lease_until.has_value()) << key;
    ASSERT_TRUE(record.due_at.has_value()) << key;
    EXPECT_LE(*record.due_at, now) << key;
    EXPECT_TRUE(record.attempt_log.empty()) << key;
  }
  EXPECT_EQ(sink_.count(), 1u);
  // Another claim (another gateway) may take them at once.
  auto claims = store_->ClaimDue(10, config.store.lease);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->size(), ids.size() - 1);
}

// DESIGN §2: work waiting in memory is released before its lease can lapse, so a healthy app
// never sees an event twice.
TEST_F(DispatcherTest, WaitingDeliveryIsReleasedBeforeItsLeaseLapses) {
  server::Config config = SinkConfig();
  config.sources[0].delivery.max_in_flight = 1;
  StartGateway(config);
  const Duration lease = config.store.lease;
  sink_.Stall();
  Accept("w1");
  Accept("w2");
  ASSERT_TRUE(sink_.WaitForHeld(1, std::chrono::steady_clock::now() + kDeadline));
  const std::string first = HeaderOf(sink_.Requests()[0], "Idempotency-Key");
  const std::string waiting = first == "hooks:w1" ? "hooks:w2" : "hooks:w1";
  Record parked = Fetch(waiting);
  EXPECT_EQ(parked.state, State::kInProgress);
  EXPECT_EQ(parked.fence, 1u);

  // Less than a third of the waiting delivery's lease is left (and the one in flight keeps
  // its lease: nothing has lapsed).
  clock_.Advance(lease - lease / 3 + 1s);
  WaitForMetric(Deliveries("released"), 1);
  Record released = Fetch(waiting);
  // Released, then possibly claimed again by the poller: never counted as a lost attempt.
  EXPECT_EQ(released.attempts, 0u);
  EXPECT_TRUE(released.attempt_log.empty());
  EXPECT_TRUE(released.last_error.empty()) << released.last_error;
  if (released.state == State::kInProgress) {
    EXPECT_EQ(released.fence, 2u);
    ASSERT_TRUE(released.lease_until.has_value());
    EXPECT_GT(*released.lease_until, clock_.Now() + lease / 3);
  } else {
    EXPECT_EQ(released.state, State::kPending);
    EXPECT_EQ(released.fence, 1u);
  }
  EXPECT_EQ(sink_.count(), 1u);

  sink_.Release();
  WaitForState(first, State::kCompleted, 1);
  Record delivered = WaitForState(waiting, State::kCompleted, 1);
  EXPECT_EQ(delivered.fence, 2u);
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.requests, 2u);
  EXPECT_EQ(effects.applied, 2u);
  EXPECT_EQ(effects.duplicates, 0u);
  const auto second = sink_.RequestsWithHeader("Idempotency-Key", waiting);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(HeaderOf(second[0], "Hookfence-Attempt"), "1");
}

// docs/delivery.md: consecutive failures open the breaker; while open nothing reaches the app;
// after the cool-down exactly one probe goes, and its success lets the rest through.
TEST_F(DispatcherTest, BreakerOpensAndProbes) {
  server::Config config = SinkConfig();
  // Long enough that waiting through the cool-down does not release the waiting deliveries.
  config.store.lease = 10min;
  server::DeliveryConfig& delivery = config.sources[0].delivery;
  delivery.breaker_failures = 3;
  delivery.breaker_cool_down = 1min;
  delivery.breaker_max_cool_down = 10min;
  // The failed events are due again within the cool-down.
  delivery.backoff_base = 30s;
  delivery.backoff_max = 30s;
  StartGateway(config);
  const std::string breaker = "hookfence_breaker_state{source=\"hooks\"}";
  const std::vector<std::string> failing = {"b1", "b2", "b3"};
  const std::vector<std::string> waiting = {"b4", "b5"};
  sink_.AnswerAll(StatusReply(503));
  for (const std::string& id : failing) Accept(id);
  for (const std::string& id : failing) WaitForState("hooks:" + id, State::kPending, 1);
  WaitForMetric(breaker, 1);

  // Open: new events wait in the dispatcher and do not reach the app.
  Accept("b4");
  Accept("b5");
  WaitForMetric("hookfence_dispatcher_held", 2);
  WaitForPollCycles(25);
  EXPECT_EQ(sink_.count(), 3u);
  for (const std::string& id : waiting) {
    Record parked = Fetch("hooks:" + id);
    EXPECT_EQ(parked.state, State::kInProgress) << id;
    EXPECT_EQ(parked.attempts, 0u) << id;
  }
  const std::string open = Metrics();
  EXPECT_EQ(MetricValue(open, breaker), 1) << open;
  EXPECT_EQ(MetricValue(open, "hookfence_destination_in_flight{source=\"hooks\"}"), 0) << open;

  // The app is back. After the cool-down one probe goes; it is held so that the test sees it
  // go alone.
  sink_.AnswerAll(SinkReply{});
  sink_.Stall();
  clock_.Advance(1min);
  ASSERT_TRUE(sink_.WaitForHeld(1, std::chrono::steady_clock::now() + kDeadline));
  WaitForPollCycles(25);
  EXPECT_EQ(sink_.count(), 4u) << "more than the probe went while the breaker was half open";
  EXPECT_EQ(sink_.held(), 1u);
  const std::string half_open = Metrics();
  EXPECT_EQ(MetricValue(half_open, breaker), 2) << half_open;

  // The probe succeeds: the breaker closes and every event is delivered.
  sink_.Release();
  for (const std::string& id : failing) {
    WaitForState("hooks:" + id, State::kCompleted, 2);
  }
  for (const std::string& id : waiting) WaitForState("hooks:" + id, State::kCompleted, 1);
  WaitForMetric(breaker, 0);
  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.requests, 8u);
  EXPECT_EQ(effects.applied, 5u);
  EXPECT_EQ(effects.failed, 3u);
  EXPECT_EQ(effects.duplicates, 0u);
  EXPECT_EQ(sink_.Requests()[3].answer_status, 200);
}

// `requests` as the verifier script's input, with header names in lower case as a Node.js app
// sees them.
std::vector<SignedRequest> AsNodeAppSees(const std::vector<ReceivedRequest>& requests) {
  std::vector<SignedRequest> signed_requests;
  for (const ReceivedRequest& request : requests) {
    SignedRequest& signed_request = signed_requests.emplace_back();
    for (const auto& [header_name, value] : request.headers) {
      std::string name = header_name;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      signed_request.headers.emplace_back(std::move(name), value);
    }
    signed_request.body = request.body;
  }
  return signed_requests;
}

// docs/delivery.md "The headers your app receives" and "Verifying the gateway's signature": the
// request as the app gets it, checked by the official Standard Webhooks package.
TEST_F(DispatcherTest, AppVerifiesTheGatewaysStandardWebhooksSignature) {
  // The package checks webhook-timestamp against the real time; the gateway signs with its clock.
  clock_.Set(Clock::Real()->Now());
  server::Config config = SinkConfig();
  config.sources[0].delivery.signing_secret = kSigningSecret;
  config.sources[0].delivery.headers = {{"Authorization", "Bearer x"}};
  StartGateway(config);
  const std::string id = "evt_sig.1~!";
  const std::string content_type = "application/vnd.test+json; charset=utf-8";
  const std::string body =
      "{\"id\":\"evt_sig.1~!\",  \"name\":\"Zo\xC3\xAB \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x8E\x89\","
      "\"escaped\":\"\\u00e9\\n\",\t\"tab\": true}\r\n";
  // Signed as the provider would, with a content type of its own that must reach the app.
  auto provider = MakeProvider(config_.sources[0].provider);
  ASSERT_TRUE(provider.ok()) << provider.status();
  Headers headers = (*provider)->Sign(body, clock_.Now(), id);
  for (auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), "Content-Type") == 0) value = content_type;
  }
  auto response = Post("/webhooks/hooks", headers, body);
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(sink_.WaitForCount(1, kDeadline));
  WaitForState("hooks:" + id, State::kCompleted, 1);
  const ReceivedRequest request = sink_.Requests()[0];

  EXPECT_EQ(request.body, body);
  EXPECT_EQ(request.target, "/hooks");
  EXPECT_EQ(HeaderOf(request, "Content-Type"), content_type);
  EXPECT_EQ(HeaderOf(request, "Idempotency-Key"), "hooks:" + id);
  EXPECT_EQ(HeaderOf(request, "Hookfence-Source"), "hooks");
  EXPECT_EQ(HeaderOf(request, "Hookfence-Event-Id"), id);
  EXPECT_EQ(HeaderOf(request, "Hookfence-Fence"), "1");
  EXPECT_EQ(HeaderOf(request, "Hookfence-Attempt"), "1");
  EXPECT_EQ(HeaderOf(request, "Authorization"), "Bearer x");
  EXPECT_EQ(HeaderOf(request, "webhook-id"), "hooks:" + id);
  EXPECT_EQ(HeaderOf(request, "X-Webhook-Id"), id);  // the provider's forwarded id header
  EXPECT_FALSE(request.Header("X-Signature").has_value()) << "the provider's signature leaked";
  EXPECT_TRUE(Contains(HeaderOf(request, "webhook-signature"), "v1,"));

  NodeRun run = VerifyWithStandardWebhooksPackage(HOOKFENCE_NODE_DIR, kSigningSecret,
                                                  AsNodeAppSees({request}), dir_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(Contains(run.output, "1 of 1 verified")) << run.output;

  // The same check refuses the delivery once one byte of its body changed.
  ReceivedRequest tampered = request;
  tampered.body[tampered.body.find("true")] = 'T';
  run = VerifyWithStandardWebhooksPackage(HOOKFENCE_NODE_DIR, kSigningSecret,
                                          AsNodeAppSees({request, tampered}), dir_);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(Contains(run.output, "requests[1]")) << run.output;
  EXPECT_FALSE(Contains(run.output, "requests[0]")) << run.output;
}

// docs/operations: /metrics counts delivery verdicts, attempts per delivered event, dead letters
// and scheduled retries.
TEST_F(DispatcherTest, MetricsCountDeliveries) {
  server::Config config = SinkConfig();
  StartGateway(config);
  auto retry_status = std::make_shared<std::atomic<int>>(503);
  sink_.SetHook([retry_status](const ReceivedRequest& request) -> std::optional<SinkReply> {
    auto key = request.Header("Idempotency-Key");
    if (key == "hooks:m-retry") return StatusReply(retry_status->load());
    if (key == "hooks:m-dead") return StatusReply(422);
    return std::nullopt;
  });
  const std::vector<std::string> ids = {"m-ok1", "m-ok2", "m-retry", "m-dead"};
  for (const std::string& id : ids) Accept(id);
  WaitForState("hooks:m-ok1", State::kCompleted, 1);
  WaitForState("hooks:m-ok2", State::kCompleted, 1);
  Record retry = WaitForState("hooks:m-retry", State::kPending, 1);
  WaitForState("hooks:m-dead", State::kDead, 1);

  std::string text = WaitForMetric(Deliveries("retry"), 1);
  text = WaitForMetric(Deliveries("delivered"), 2);
  text = WaitForMetric(Deliveries("dead"), 1);
  EXPECT_EQ(MetricValue(text, "hookfence_delivery_attempts_count"), 3) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_delivery_attempts_bucket{le=\"1\"}"), 3) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_delivery_attempts_bucket{le=\"+Inf\"}"), 3) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_delivery_duration_seconds_count"), 3) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_dead_letters"), 1) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_due_events{when=\"later\"}"), 1) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_due_events{when=\"now\"}"), 0) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_leased_events"), 0) << text;

  // The retry falls due and succeeds on its second attempt.
  retry_status->store(200);
  ASSERT_TRUE(retry.due_at.has_value());
  clock_.Set(*retry.due_at);
  WaitForState("hooks:m-retry", State::kCompleted, 2);
  text = WaitForMetric(Deliveries("delivered"), 3);
  EXPECT_EQ(MetricValue(text, Deliveries("retry")), 1) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_delivery_attempts_count"), 4) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_delivery_attempts_bucket{le=\"1\"}"), 3) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_delivery_attempts_bucket{le=\"2\"}"), 4) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_due_events{when=\"later\"}"), 0) << text;
  EXPECT_EQ(MetricValue(text, "hookfence_dead_letters"), 1) << text;
}

}  // namespace
}  // namespace hookfence::testing
