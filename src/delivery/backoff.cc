#include "src/delivery/backoff.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "src/delivery/http_date.h"

namespace hookfence::delivery {
namespace {

static_assert(Rng::min() == 0 && Rng::max() == std::numeric_limits<std::uint64_t>::max(),
              "UniformUpTo assumes a generator of full 64-bit words");

// A uniform draw from [0, bound]. Words below 2^64 mod (bound + 1) are rejected so that every
// outcome has the same number of preimages; fewer than one draw in two is rejected for any bound.
std::uint64_t UniformUpTo(std::uint64_t bound, Rng& rng) {
  if (bound == std::numeric_limits<std::uint64_t>::max()) {
    return rng();
  }
  const std::uint64_t range = bound + 1;
  const std::uint64_t threshold = (0 - range) % range;  // 2^64 mod range, in unsigned arithmetic
  while (true) {
    std::uint64_t word = rng();
    if (word >= threshold) {
      return word % range;
    }
  }
}

// Longer settings are surely mistakes, and bounding them keeps now + delay far from overflow.
constexpr Duration kLongestSetting = std::chrono::hours(24 * 365 * 100);

// RFC 9111 §1.2.2's stand-in for a delta-seconds value too large to represent.
constexpr std::int64_t kMaxDeltaSeconds = std::int64_t{1} << 31;

bool IsOptionalWhitespace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOptionalWhitespace(std::string_view text) {
  while (!text.empty() && IsOptionalWhitespace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && IsOptionalWhitespace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<Duration> ParseDeltaSeconds(std::string_view digits) {
  std::int64_t seconds = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    seconds = std::min(kMaxDeltaSeconds, seconds * 10 + (c - '0'));
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

Status ValidateBackoffPolicy(const BackoffPolicy& policy) {
  if (policy.base <= Duration::zero()) {
    return InvalidArgumentError("backoff base must be positive");
  }
  if (policy.cap < policy.base) {
    return InvalidArgumentError("backoff cap must be at least the base");
  }
  if (policy.max_retry_after < Duration::zero()) {
    return InvalidArgumentError("max_retry_after must not be negative");
  }
  if (policy.cap > kLongestSetting || policy.max_retry_after > kLongestSetting) {
    return InvalidArgumentError("backoff cap and max_retry_after must be at most 100 years");
  }
  return Status::Ok();
}

Duration MaxDelay(int attempt, const BackoffPolicy& policy) {
  attempt = std::max(attempt, 0);
  // base * 2^attempt reaches the cap once base > cap / 2^attempt; testing that way round cannot
  // overflow, however many attempts a source allows.
  if (attempt >= 62 || policy.base.count() > (policy.cap.count() >> attempt)) {
    return policy.cap;
  }
  return Duration(policy.base.count() << attempt);
}

Duration MaxRetrySpan(int max_attempts, const BackoffPolicy& policy) {
  Duration span = Duration::zero();
  for (int attempt = 0; attempt + 1 < max_attempts; ++attempt) {
    span += MaxDelay(attempt, policy);
  }
  return span;
}

Timestamp NextAttemptAt(int attempt, Timestamp now, Rng& rng, const BackoffPolicy& policy,
                        std::optional<Duration> retry_after) {
  const Duration ceiling = MaxDelay(attempt, policy);
  HF_CHECK(ceiling >= Duration::zero());  // a policy that passed ValidateBackoffPolicy
  Duration delay(
      static_cast<Duration::rep>(UniformUpTo(static_cast<std::uint64_t>(ceiling.count()), rng)));
  if (retry_after.has_value()) {
    Duration asked = std::min(std::max(*retry_after, Duration::zero()), policy.max_retry_after);
    delay = std::max(delay, asked);
  }
  return now + delay;
}

std::optional<Duration> ParseRetryAfter(std::string_view header, Timestamp now) {
  std::string_view value = TrimOptionalWhitespace(header);
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.front() >= '0' && value.front() <= '9') {
    return ParseDeltaSeconds(value);
  }
  std::optional<Timestamp> date = ParseHttpDate(value, now);
  if (!date.has_value()) {
    return std::nullopt;
  }
  return std::max(Duration::zero(), *date - now);
}

}  // namespace hookfence::delivery
