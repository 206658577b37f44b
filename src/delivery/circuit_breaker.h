// CircuitBreaker: pauses deliveries to one destination that keeps failing.
//
// Closed (normal): every delivery may go; `failure_threshold` consecutive failures open it.
// Open: deliveries wait — nothing is lost, the events stay in the store — until the cool-down has
// passed. Half-open: exactly one probe at a time goes out; its success closes the breaker, its
// failure opens it again with a cool-down grown by `cool_down_growth` (capped at max_cool_down),
// so a destination that is down for hours is probed ever more rarely.
//
// Allow() hands out an Admission that the caller reports back exactly once. Each admission carries
// the breaker's generation (bumped on every state change and every probe), so a late answer to a
// request sent before the breaker opened cannot close it again, or steal the probe's verdict; such
// answers are ignored. A probe that is never sent or never finishes (shutdown, lease released) must
// be Abandon()ed, or no other probe is ever allowed.
// Thread-safety: all methods may be called concurrently (one mutex; no call blocks on I/O).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "hookfence/clock.h"
#include "hookfence/status.h"

namespace hookfence::delivery {

enum class BreakerState { kClosed, kOpen, kHalfOpen };

// "closed", "open", "half_open": the metrics label.
std::string_view BreakerStateName(BreakerState state);

struct CircuitBreakerOptions {
  int failure_threshold = 5;                          // consecutive failures that open the breaker
  Duration cool_down = std::chrono::seconds(30);      // the first wait before a probe
  double cool_down_growth = 2.0;                      // factor per failed probe; 1 keeps it fixed
  Duration max_cool_down = std::chrono::minutes(10);  // the longest wait before a probe
};

// kInvalidArgument unless failure_threshold >= 1, 0 < cool_down <= max_cool_down <= 100 years
// and 1 <= cool_down_growth <= 1000.
Status ValidateCircuitBreakerOptions(const CircuitBreakerOptions& options);

class CircuitBreaker {
 public:
  // The answer to Allow(): true when the delivery may go now.
  class Admission {
   public:
    explicit operator bool() const { return allowed_; }
    // True for the one request allowed while half-open.
    bool probe() const { return probe_; }

   private:
    friend class CircuitBreaker;
    bool allowed_ = false;
    bool probe_ = false;
    std::uint64_t generation_ = 0;
  };

  // What the breaker looks like now, for metrics and for the dispatcher's wait.
  struct Snapshot {
    // An open breaker whose cool-down has passed reads kHalfOpen: the next Allow() probes.
    BreakerState state = BreakerState::kClosed;
    int consecutive_failures = 0;  // while closed
    Timestamp open_until{};        // while open: when a probe may go
    Duration cool_down{};          // the cool-down the next opening (or the current one) uses
    bool probe_in_flight = false;
    std::uint64_t times_opened = 0;  // a counter since construction
  };

  // `clock` must outlive the breaker. The options must pass ValidateCircuitBreakerOptions.
  CircuitBreaker(const Clock* clock, CircuitBreakerOptions options);

  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Whether a delivery may start now. Closed: yes. Open: no until the cool-down has passed, then
  // the breaker turns half-open and this call gets the probe. Half-open: yes only to the one
  // caller that gets the probe; everyone else waits for its verdict.
  Admission Allow();

  // Report how an admitted delivery ended. A failure is an outcome ClassifyOutcome (retry_policy.h)
  // calls retryable; a final 4xx is the app answering, so it reports success. Stale admissions
  // (from before the last state change or probe) and refused ones are ignored.
  void RecordSuccess(const Admission& admission);
  void RecordFailure(const Admission& admission);

  // Gives an unused or unfinished probe back so the next Allow() may probe; no verdict is drawn.
  // Ignored for anything but the current probe.
  void Abandon(const Admission& admission);

  Snapshot GetSnapshot() const;
  BreakerState state() const { return GetSnapshot().state; }

 private:
  void OpenLocked(Timestamp now);
  bool IsCurrent(const Admission& admission) const;

  const Clock* const clock_;
  const CircuitBreakerOptions options_;

  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;  // as stored; kOpen may be due for a probe
  std::uint64_t generation_ = 0;
  int consecutive_failures_ = 0;
  Duration cool_down_;
  Timestamp open_until_{};
  bool probe_in_flight_ = false;
  std::uint64_t times_opened_ = 0;
};

}  // namespace hookfence::delivery
