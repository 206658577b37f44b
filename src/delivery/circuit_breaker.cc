#include "src/delivery/circuit_breaker.h"

#include <algorithm>
#include <cmath>

namespace hookfence::delivery {

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

Status ValidateCircuitBreakerOptions(const CircuitBreakerOptions& options) {
  if (options.failure_threshold < 1) {
    return InvalidArgumentError("breaker failure_threshold must be at least 1");
  }
  if (options.cool_down <= Duration::zero()) {
    return InvalidArgumentError("breaker cool_down must be positive");
  }
  if (options.max_cool_down < options.cool_down) {
    return InvalidArgumentError("breaker max_cool_down must be at least cool_down");
  }
  // Longer is surely a mistake, and the bound keeps now + cool-down far from overflow.
  if (options.max_cool_down > std::chrono::hours(24 * 365 * 100)) {
    return InvalidArgumentError("breaker max_cool_down must be at most 100 years");
  }
  // Also refuses NaN, which fails every comparison.
  if (!(options.cool_down_growth >= 1.0 && options.cool_down_growth <= 1000.0)) {
    return InvalidArgumentError("breaker cool_down_growth must be between 1 and 1000");
  }
  return Status::Ok();
}

CircuitBreaker::CircuitBreaker(const Clock* clock, CircuitBreakerOptions options)
    : clock_(clock), options_(options), cool_down_(options.cool_down) {
  HF_CHECK(clock_ != nullptr);
  HF_CHECK(ValidateCircuitBreakerOptions(options_).ok());
}

CircuitBreaker::Admission CircuitBreaker::Allow() {
  std::lock_guard lock(mu_);
  Admission admission;
  switch (state_) {
    case BreakerState::kClosed:
      admission.allowed_ = true;
      break;
    case BreakerState::kOpen:
      if (clock_->Now() < open_until_) {
        return admission;
      }
      state_ = BreakerState::kHalfOpen;
      probe_in_flight_ = false;
      [[fallthrough]];
    case BreakerState::kHalfOpen:
      if (probe_in_flight_) {
        return admission;
      }
      // Each probe is a generation of its own, so an abandoned probe that answers late, or is
      // abandoned twice, cannot speak for its successor.
      ++generation_;
      probe_in_flight_ = true;
      admission.allowed_ = true;
      admission.probe_ = true;
      break;
  }
  admission.generation_ = generation_;
  return admission;
}

void CircuitBreaker::RecordSuccess(const Admission& admission) {
  std::lock_guard lock(mu_);
  if (!IsCurrent(admission)) {
    return;
  }
  if (state_ == BreakerState::kHalfOpen) {
    state_ = BreakerState::kClosed;
    ++generation_;
    probe_in_flight_ = false;
    cool_down_ = options_.cool_down;
  }
  consecutive_failures_ = 0;
}

void CircuitBreaker::RecordFailure(const Admission& admission) {
  std::lock_guard lock(mu_);
  if (!IsCurrent(admission)) {
    return;
  }
  if (state_ == BreakerState::kHalfOpen) {
    // The destination is still down: wait longer before the next probe.
    double grown = static_cast<double>(cool_down_.count()) * options_.cool_down_growth;
    double limit = static_cast<double>(options_.max_cool_down.count());
    cool_down_ = Duration(static_cast<Duration::rep>(std::min(grown, limit)));
    OpenLocked(clock_->Now());
    return;
  }
  if (++consecutive_failures_ >= options_.failure_threshold) {
    OpenLocked(clock_->Now());
  }
}

void CircuitBreaker::Abandon(const Admission& admission) {
  std::lock_guard lock(mu_);
  if (IsCurrent(admission) && admission.probe_) {
    probe_in_flight_ = false;
  }
}

CircuitBreaker::Snapshot CircuitBreaker::GetSnapshot() const {
  std::lock_guard lock(mu_);
  Snapshot snapshot;
  snapshot.state = state_;
  if (state_ == BreakerState::kOpen && clock_->Now() >= open_until_) {
    snapshot.state = BreakerState::kHalfOpen;
  }
  snapshot.consecutive_failures = consecutive_failures_;
  snapshot.open_until = open_until_;
  snapshot.cool_down = cool_down_;
  snapshot.probe_in_flight = state_ == BreakerState::kHalfOpen && probe_in_flight_;
  snapshot.times_opened = times_opened_;
  return snapshot;
}

void CircuitBreaker::OpenLocked(Timestamp now) {
  state_ = BreakerState::kOpen;
  ++generation_;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
  open_until_ = now + cool_down_;
  ++times_opened_;
}

bool CircuitBreaker::IsCurrent(const Admission& admission) const {
  return admission.allowed_ && admission.generation_ == generation_;
}

}  // namespace hookfence::delivery
