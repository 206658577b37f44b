// RateLimiter: a token bucket that holds a destination to max_per_second deliveries.
//
// The bucket holds `burst` tokens and refills at max_per_second; a delivery takes one. It is kept
// as a single "theoretical arrival time" (GCRA, the token bucket's exact integer equivalent), so
// all arithmetic is in whole microseconds of the injected clock: after waiting exactly WaitFor(),
// TryAcquire() succeeds if no one else took the token first. The refill interval is
// ceil(1 s / max_per_second) to the microsecond, so the rate is never exceeded (3/s admits one per
// 333,334 µs).
// WaitFor() reserves nothing: waiters that wake together race for the token and the losers ask
// again. That wastes nothing when a waiting delivery is cancelled or released instead.
// If the clock steps backwards, the wait is bounded by one refill interval instead of the step.
// Thread-safety: all methods may be called concurrently (one mutex).
#pragma once

#include <mutex>

#include "hookfence/clock.h"
#include "hookfence/status.h"

namespace hookfence::delivery {

struct RateLimiterOptions {
  // Deliveries per second; fractions allowed (0.5 = one every 2 s). 0 means unlimited.
  double max_per_second = 0;
  // The most deliveries that may start back to back after a quiet spell; 0 picks
  // max(1, ceil(max_per_second)), one second's worth.
  int burst = 0;
};

// kInvalidArgument unless max_per_second is 0 or in [0.001, 1,000,000] and burst is in
// [0, 1,000,000].
Status ValidateRateLimiterOptions(const RateLimiterOptions& options);

class RateLimiter {
 public:
  // `clock` must outlive the limiter. The options must pass ValidateRateLimiterOptions. The bucket
  // starts full.
  RateLimiter(const Clock* clock, RateLimiterOptions options);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes a token if one is available now. Always true when unlimited.
  bool TryAcquire();

  // How long until a token is available: zero when TryAcquire would succeed now. Takes nothing.
  // (Not const: it also forgets any wait a backwards clock step would have added.)
  Duration WaitFor();

  bool unlimited() const { return interval_ == Duration::zero(); }

 private:
  // Brings arrival_ to `now` when the bucket is full, and pulls it back when the clock stepped
  // backwards; returns it.
  Timestamp UpdateArrivalLocked(Timestamp now);

  const Clock* const clock_;
  Duration interval_;   // one token's refill time; zero when unlimited
  Duration tolerance_;  // (burst - 1) * interval_: how far ahead of now the arrival time may run

  mutable std::mutex mu_;
  // When the bucket would be full again had every admitted delivery been spaced at interval_; a
  // token is available while arrival_ - now <= tolerance_.
  Timestamp arrival_;
};

}  // namespace hookfence::delivery
