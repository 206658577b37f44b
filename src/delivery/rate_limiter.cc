#include "src/delivery/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace hookfence::delivery {
namespace {

constexpr double kMaxPerSecond = 1'000'000;  // one per microsecond, the clock's resolution
// Slower rates are surely a typo, and the bounds keep interval * burst far from overflow.
constexpr double kMinPerSecond = 0.001;
constexpr int kMaxBurst = 1'000'000;

Duration RefillInterval(double max_per_second) {
  if (max_per_second == 0) {
    return Duration::zero();
  }
  return Duration(static_cast<Duration::rep>(std::ceil(1e6 / max_per_second)));
}

int EffectiveBurst(const RateLimiterOptions& options) {
  if (options.burst > 0) {
    return options.burst;
  }
  return std::max(1, static_cast<int>(std::ceil(options.max_per_second)));
}

}  // namespace

Status ValidateRateLimiterOptions(const RateLimiterOptions& options) {
  // Written so that NaN fails too.
  bool in_range = options.max_per_second == 0 || (options.max_per_second >= kMinPerSecond &&
                                                  options.max_per_second <= kMaxPerSecond);
  if (!in_range) {
    return InvalidArgumentError(
        "max_per_second must be 0 (unlimited) or between 0.001 and 1000000");
  }
  if (options.burst < 0 || options.burst > kMaxBurst) {
    return InvalidArgumentError("burst must be between 0 (one second's worth) and 1000000");
  }
  return Status::Ok();
}

RateLimiter::RateLimiter(const Clock* clock, RateLimiterOptions options)
    : clock_(clock), interval_(RefillInterval(options.max_per_second)) {
  HF_CHECK(clock_ != nullptr);
  HF_CHECK(ValidateRateLimiterOptions(options).ok());
  tolerance_ = interval_ * (EffectiveBurst(options) - 1);
  arrival_ = clock_->Now();
}

bool RateLimiter::TryAcquire() {
  if (unlimited()) {
    return true;
  }
  std::lock_guard lock(mu_);
  const Timestamp now = clock_->Now();
  if (UpdateArrivalLocked(now) - now > tolerance_) {
    return false;
  }
  arrival_ += interval_;
  return true;
}

Duration RateLimiter::WaitFor() {
  if (unlimited()) {
    return Duration::zero();
  }
  std::lock_guard lock(mu_);
  const Timestamp now = clock_->Now();
  return std::max(Duration::zero(), UpdateArrivalLocked(now) - tolerance_ - now);
}

Timestamp RateLimiter::UpdateArrivalLocked(Timestamp now) {
  // After any admission arrival_ <= now + tolerance_ + interval_; more than that means the clock
  // went back, and the step should not become a stall.
  arrival_ = std::clamp(arrival_, now, now + tolerance_ + interval_);
  return arrival_;
}

}  // namespace hookfence::delivery
