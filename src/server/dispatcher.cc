#include "src/server/dispatcher.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "src/delivery/backoff.h"
#include "src/server/destination.h"
#include "src/server/http_types.h"
#include "src/server/owner_calls.h"

namespace hookfence::server {

namespace asio = boost::asio;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Most records one ClaimDue takes (one store transaction).
constexpr std::size_t kMaxClaimBatch = 256;
// How long a parked delivery sleeps at most before it looks again: wake-ups can be missed (a
// Leave between a failed TryEnter and Park), and this bounds what that costs.
constexpr auto kMaxPark = std::chrono::milliseconds(250);
// Store writes that fail for want of the store (not for a stale fence) are tried this often.
constexpr int kStoreWriteTries = 5;

// Store calls are built outside the coroutines: GCC 12 mis-handles lambda captures created in a
// coroutine body.
std::function<Result<std::vector<Claim>>(Store&)> ClaimCall(std::size_t limit, Duration lease) {
  return [limit, lease](Store& store) { return store.ClaimDue(limit, lease); };
}
std::function<Result<Timestamp>(Store&)> RenewCall(std::string key, std::uint64_t fence,
                                                   Duration lease) {
  return
      [key = std::move(key), fence, lease](Store& store) { return store.Renew(key, fence, lease); };
}

std::string_view SourceOf(std::string_view key) { return key.substr(0, key.find(':')); }

DeliveryJob JobFromClaim(Claim claim) {
  Record& record = claim.record;
  DeliveryJob job;
  job.key = std::move(record.key);
  job.fence = record.fence;
  job.lease_until = record.lease_until.value_or(Timestamp{});
  job.attempts = record.attempts;
  job.ordering_key = std::move(record.ordering_key);
  job.payload = std::move(record.payload).value_or(Payload{});
  return job;
}

delivery::AttemptOutcome OutcomeOf(const DestinationAnswer& answer, std::uint32_t attempts,
                                   Timestamp now) {
  delivery::AttemptOutcome outcome;
  outcome.attempts = static_cast<int>(attempts);
  switch (answer.kind) {
    case DestinationAnswer::Kind::kResponse:
      outcome.kind = delivery::AttemptOutcome::Kind::kResponse;
      outcome.http_status = answer.status;
      if (auto retry_after = FindHeader(answer.headers, "Retry-After")) {
        outcome.retry_after = delivery::ParseRetryAfter(*retry_after, now);
      }
      break;
    case DestinationAnswer::Kind::kTimeout:
      outcome.kind = delivery::AttemptOutcome::Kind::kTimeout;
      outcome.error = answer.error;
      break;
    case DestinationAnswer::Kind::kConnectionError:
      outcome.kind = delivery::AttemptOutcome::Kind::kConnectionError;
      outcome.error = answer.error;
      break;
  }
  return outcome;
}

// The lease renewer of one running request: renews every third of a lease until `done`.
struct Renewal {
  explicit Renewal(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool done = false;  // the delivery's strand only
  bool lost = false;  // the store refused a renewal: another claim took the record over
};

}  // namespace

// The coroutines of one delivery. Static members so that they may use the dispatcher's privates.
class Dispatcher::Delivery {
 public:
  static asio::awaitable<void> Run(std::shared_ptr<Dispatcher> self, DeliveryJob job);

 private:
  // Waits until the destination admits the delivery. False when it was released instead
  // (shutdown, or its lease would lapse while it waits).
  static asio::awaitable<bool> Admit(std::shared_ptr<Dispatcher> self,
                                     std::shared_ptr<Destination> destination, DeliveryJob* job,
                                     delivery::CircuitBreaker::Admission* admission);
  static asio::awaitable<void> Park(std::shared_ptr<Destination> destination, Duration wait);
  static asio::awaitable<void> Renew(std::shared_ptr<Dispatcher> self,
                                     std::shared_ptr<Renewal> renewal, std::string key,
                                     std::uint64_t fence);
  // Writes the attempt's verdict; retries while the store is unavailable. Returns the status of
  // the last try.
  static asio::awaitable<Status> Write(std::shared_ptr<Dispatcher> self,
                                       StoreRunner::QueuedWrite write);
  static asio::awaitable<void> Release(std::shared_ptr<Dispatcher> self, DeliveryJob job,
                                       std::string why);
};

asio::awaitable<void> Dispatcher::Delivery::Park(std::shared_ptr<Destination> destination,
                                                 Duration wait) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  timer->expires_after(std::clamp<Duration>(wait, std::chrono::milliseconds(1), kMaxPark));
  destination->Park(timer);
  co_await timer->async_wait(kTuple);
}

asio::awaitable<bool> Dispatcher::Delivery::Admit(std::shared_ptr<Dispatcher> self,
                                                  std::shared_ptr<Destination> destination,
                                                  DeliveryJob* job,
                                                  delivery::CircuitBreaker::Admission* admission) {
  Clock& clock = self->core_->clock();
  // Released with a third of the lease left: time enough for the Release to land before another
  // gateway may take the record over.
  const Duration margin = self->lease_ / 3;
  for (;;) {
    if (self->stopping_.load()) {
      co_await Release(self, std::move(*job), "shutting down");
      co_return false;
    }
    const Timestamp now = clock.Now();
    if (job->lease_until - now <= margin) {
      co_await Release(self, std::move(*job), "its lease would lapse while it waits");
      co_return false;
    }
    Duration wait = job->lease_until - margin - now;
    *admission = destination->breaker().Allow();
    if (!*admission) {
      const auto snapshot = destination->breaker().GetSnapshot();
      if (snapshot.state == delivery::BreakerState::kOpen) {
        wait = std::min(wait, snapshot.open_until - now);
      }
      co_await Park(destination, wait);
      continue;
    }
    if (const Duration limited = destination->limiter().WaitFor(); limited > Duration::zero()) {
      destination->breaker().Abandon(*admission);
      co_await Park(destination, std::min(wait, limited));
      continue;
    }
    if (!destination->TryEnter()) {
      destination->breaker().Abandon(*admission);
      co_await Park(destination, wait);
      continue;
    }
    if (!destination->limiter().TryAcquire()) {
      // Another delivery took the token between WaitFor and here; wake whoever was next.
      destination->breaker().Abandon(*admission);
      destination->Leave();
      continue;
    }
    co_return true;
  }
}

asio::awaitable<void> Dispatcher::Delivery::Renew(std::shared_ptr<Dispatcher> self,
                                                  std::shared_ptr<Renewal> renewal, std::string key,
                                                  std::uint64_t fence) {
  for (;;) {
    renewal->timer.expires_after(self->lease_ / 3);
    co_await renewal->timer.async_wait(kTuple);
    if (renewal->done) co_return;
    auto renewed =
        co_await self->core_->store().Run<Result<Timestamp>>(RenewCall(key, fence, self->lease_));
    if (renewal->done) co_return;
    if (renewed && !renewed->ok() && renewed->status().code() == StatusCode::kAborted) {
      renewal->lost = true;
      co_return;
    }
  }
}

asio::awaitable<Status> Dispatcher::Delivery::Write(std::shared_ptr<Dispatcher> self,
                                                    StoreRunner::QueuedWrite write) {
  Status status = UnavailableError("not written");
  auto pause = std::chrono::milliseconds(100);
  for (int attempt = 0; attempt < kStoreWriteTries; ++attempt) {
    auto written = co_await self->core_->store().Write(write);
    status = written ? *written : ResourceExhaustedError("the store's queue is full");
    if (status.ok() || status.code() == StatusCode::kAborted ||
        status.code() == StatusCode::kNotFound ||
        status.code() == StatusCode::kFailedPrecondition) {
      co_return status;
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, pause);
    co_await timer.async_wait(kTuple);
    pause *= 2;
  }
  co_return status;
}

asio::awaitable<void> Dispatcher::Delivery::Release(std::shared_ptr<Dispatcher> self,
                                                    DeliveryJob job, std::string why) {
  Status released = co_await Write(self, ReleaseCall(job.key, job.fence));
  if (released.ok()) {
    self->core_->log().debug("released {} (fence {}): {}", job.key, job.fence, why);
  } else {
    // The lease lapses instead and a later claim delivers the event: nothing is lost.
    self->core_->log().warn("could not release {} (fence {}): {}", job.key, job.fence,
                            released.ToString());
  }
  self->core_->metrics().CountDelivery(SourceOf(job.key), "released");
  self->Done(false);
}

asio::awaitable<void> Dispatcher::Delivery::Run(std::shared_ptr<Dispatcher> self, DeliveryJob job) {
  GatewayCore& core = *self->core_;
  const std::shared_ptr<const Settings> settings = core.settings();
  const Source* source = settings->sources->Find(SourceOf(job.key));
  std::shared_ptr<Destination> destination =
      source != nullptr && source->config.delivery.mode == SourceMode::kAsync ? source->destination
                                                                              : nullptr;
  const std::string source_name(SourceOf(job.key));
  if (destination == nullptr) {
    // The source was removed or turned synchronous by a reload. Keep the event, and try later:
    // the retry counts as an attempt so an event whose source is gone for good ends DEAD.
    FailRequest request;
    request.key = job.key;
    request.fence = job.fence;
    request.attempt = Attempt{core.clock().Now(), job.fence, 0,
                              "no async source named '" + source_name + "'", Duration{0}};
    request.error = request.attempt.error;
    delivery::Rng rng(self->NextSeed());
    request.retry_at = delivery::NextAttemptAt(static_cast<int>(job.attempts), core.clock().Now(),
                                               rng, delivery::BackoffPolicy{});
    request.dead = job.attempts + 1 >= static_cast<std::uint32_t>(delivery::kDefaultMaxAttempts);
    Status failed = co_await Write(self, FailCall(std::move(request)));
    core.log().warn("{}: no async source '{}' is configured; attempt {} failed ({})", job.key,
                    source_name, job.attempts + 1, failed.ok() ? "kept" : failed.ToString());
    core.metrics().CountDelivery(source_name, "no_source");
    self->Done(false);
    co_return;
  }

  delivery::CircuitBreaker::Admission admission;
  if (!co_await Admit(self, destination, &job, &admission)) co_return;

  const std::uint32_t attempt_number = job.attempts + 1;
  Headers headers = destination->request_builder().Build(job.key, job.fence, attempt_number,
                                                         job.payload, core.clock().Now());
  auto renewal = std::make_shared<Renewal>(co_await asio::this_coro::executor);
  asio::co_spawn(renewal->timer.get_executor(), Renew(self, renewal, job.key, job.fence),
                 asio::detached);
  const Timestamp started_at = core.clock().Now();
  DestinationAnswer answer =
      co_await destination->client().Post(std::move(headers), job.payload.body);
  renewal->done = true;
  renewal->timer.cancel();
  destination->Leave();

  const Timestamp now = core.clock().Now();
  delivery::AttemptOutcome outcome = OutcomeOf(answer, job.attempts, now);
  const bool failure = delivery::ClassifyOutcome(outcome, destination->retry().retry_4xx) ==
                       delivery::AnswerClass::kRetryable;
  if (failure) {
    destination->breaker().RecordFailure(admission);
  } else {
    destination->breaker().RecordSuccess(admission);
    // A probe that succeeded closed the breaker: everything parked may go now.
    if (admission.probe()) destination->WakeAll();
  }
  delivery::Rng rng(self->NextSeed());
  delivery::RetryDecision decision =
      delivery::DecideAfterAttempt(outcome, now, rng, destination->retry());
  Attempt attempt{started_at, job.fence,
                  answer.kind == DestinationAnswer::Kind::kResponse ? answer.status : 0,
                  decision.kind == delivery::RetryDecision::Kind::kDelivered ? "" : decision.reason,
                  answer.latency};
  Status written;
  std::string_view verdict;
  if (decision.kind == delivery::RetryDecision::Kind::kDelivered) {
    verdict = "delivered";
    written =
        co_await Write(self, CompleteCall(job.key, job.fence, std::move(attempt), std::nullopt));
  } else {
    verdict = decision.kind == delivery::RetryDecision::Kind::kDead ? "dead" : "retry";
    FailRequest request;
    request.key = job.key;
    request.fence = job.fence;
    request.error = decision.reason;
    request.attempt = std::move(attempt);
    request.dead = decision.kind == delivery::RetryDecision::Kind::kDead;
    request.retry_at = decision.retry_at;
    written = co_await Write(self, FailCall(std::move(request)));
  }
  if (written.code() == StatusCode::kAborted || renewal->lost) {
    verdict = "stale_fence";
    core.log().warn(
        "{}: fence {} is stale (the lease lapsed and another claim took over); the "
        "attempt's result was not recorded",
        job.key, job.fence);
  } else if (!written.ok()) {
    verdict = "store_error";
    core.log().error(
        "{}: could not record attempt {} ({}): {}; its lease will lapse and the "
        "event will be delivered again",
        job.key, attempt_number, decision.reason, written.ToString());
  } else if (verdict != "delivered") {
    core.log().info("{}: attempt {} {}: {}", job.key, attempt_number,
                    verdict == "dead" ? "failed for good, now DEAD" : "failed, will retry",
                    decision.reason);
  }
  core.metrics().CountDelivery(source_name, verdict);
  if (verdict == "delivered" || verdict == "dead") {
    core.metrics().ObserveDelivery(attempt_number, answer.latency);
  }
  self->Done(!job.ordering_key.empty() && (verdict == "delivered" || verdict == "dead"));
}

Dispatcher::Dispatcher(asio::io_context& ioc, std::shared_ptr<GatewayCore> core,
                       DispatcherConfig config, Duration lease)
    : ioc_(ioc),
      core_(std::move(core)),
      config_(config),
      lease_(lease),
      poll_strand_(asio::make_strand(ioc)),
      poll_timer_(poll_strand_),
      seeds_(std::random_device{}()) {}

void Dispatcher::Start() { asio::co_spawn(poll_strand_, Poll(shared_from_this()), asio::detached); }

bool Dispatcher::TryReserve() {
  if (stopping_.load()) return false;
  if (held_.fetch_add(1) >= config_.max_held) {
    held_.fetch_sub(1);
    return false;
  }
  return true;
}

void Dispatcher::Unreserve() { Done(false); }

void Dispatcher::Hand(DeliveryJob job) { Spawn(std::move(job)); }

void Dispatcher::Spawn(DeliveryJob job) {
  asio::co_spawn(asio::make_strand(ioc_), Delivery::Run(shared_from_this(), std::move(job)),
                 asio::detached);
}

void Dispatcher::Wake() {
  wake_pending_.store(true);
  asio::post(poll_strand_, [self = shared_from_this()] { self->poll_timer_.cancel(); });
}

std::uint64_t Dispatcher::Unhold(std::uint64_t count) {
  const std::uint64_t now_held = held_.fetch_sub(count) - count;
  if (stopping_.load()) {
    {
      // Stop checks held_ under mu_: taking it here means the notification cannot fall between
      // its check and its wait.
      std::lock_guard lock(mu_);
    }
    idle_cv_.notify_all();
  }
  return now_held;
}

void Dispatcher::Done(bool unblocks_successors) {
  const std::uint64_t now_held = Unhold(1);
  if (stopping_.load()) return;
  // Claim what waits in the store once a quarter of the room is free, not on every delivery:
  // one ClaimDue then brings in a batch.
  if (unblocks_successors || (backlog_.load() && now_held <= config_.max_held * 3 / 4)) Wake();
}

std::uint64_t Dispatcher::NextSeed() {
  std::lock_guard lock(mu_);
  return seeds_();
}

asio::awaitable<void> Dispatcher::Poll(std::shared_ptr<Dispatcher> self) {
  // `self` keeps the dispatcher alive while the poller runs.
  (void)self;
  for (;;) {
    if (!wake_pending_.exchange(false)) {
      poll_timer_.expires_after(config_.poll_interval);
      co_await poll_timer_.async_wait(kTuple);
      wake_pending_.store(false);
    }
    if (stopping_.load()) co_return;
    const std::uint64_t held = held_.load();
    if (held >= config_.max_held) continue;
    const std::size_t limit =
        static_cast<std::size_t>(std::min<std::uint64_t>(config_.max_held - held, kMaxClaimBatch));
    held_.fetch_add(limit);  // reserved for what the claim brings
    claiming_.fetch_add(limit);
    auto claimed =
        co_await core_->store().Run<Result<std::vector<Claim>>>(ClaimCall(limit, lease_));
    claiming_.fetch_sub(limit);
    if (!claimed || !claimed->ok()) {
      Unhold(limit);
      if (claimed)
        core_->log().warn("claiming due events failed: {}", claimed->status().ToString());
      continue;
    }
    std::vector<Claim>& claims = **claimed;
    Unhold(limit - claims.size());
    // A full batch: more may be due. Otherwise the store has nothing due right now.
    backlog_.store(claims.size() == limit);
    if (claims.size() == limit) wake_pending_.store(true);
    for (Claim& claim : claims) {
      if (claim.passed_dead_predecessor) {
        core_->log().warn(
            "{}: delivered out of order: an earlier event with ordering key '{}' "
            "is DEAD",
            claim.record.key, claim.record.ordering_key);
        core_->metrics().CountDelivery(SourceOf(claim.record.key), "order_broken");
      }
      Spawn(JobFromClaim(std::move(claim)));
    }
  }
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_.store(true);
  asio::post(poll_strand_, [self = shared_from_this()] { self->poll_timer_.cancel(); });
  std::shared_ptr<const Settings> settings = core_->settings();
  settings->sources->ForEach([](const Source& source) {
    if (source.destination) source.destination->WakeAll();
  });
  std::unique_lock lock(mu_);
  if (!idle_cv_.wait_for(lock, config_.shutdown_grace, [this] { return held_.load() == 0; })) {
    core_->log().warn(
        "{} deliveries still running after shutdown_grace; their leases will "
        "lapse and they will be delivered again",
        held_.load());
  }
}

}  // namespace hookfence::server
