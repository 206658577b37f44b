// Backoff: when the dispatcher tries a failed delivery again.
//
// Exponential backoff with full jitter (the delay is drawn uniformly from [0, ceiling]) spreads the
// retries of a burst that failed together, so a destination that comes back is not hit by every
// event at the same instant. The function is pure: time and randomness are passed in, so a seeded
// generator gives the same schedule every run and tests need no clock at all.
//
// The default schedule (base 5 min, cap 16 h) with the default max_attempts of 12 allows 11
// retries whose ceilings add up to 69 h 15 min, about the 3 days Stripe retries for; with full
// jitter an event that keeps failing is declared dead after half that on average. The table is in
// docs/delivery-policy.md and is checked by backoff_test.cc.
// Thread-safety: pure functions; an Rng must not be shared between threads without a lock.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "hookfence/clock.h"
#include "hookfence/status.h"

namespace hookfence::delivery {

// The injected generator. mt19937_64's output sequence is fixed by the standard, and the draw from
// it is ours (not std::uniform_int_distribution, whose mapping differs between standard
// libraries), so a seed reproduces a schedule on every platform.
using Rng = std::mt19937_64;

// Attempts per event before it is declared dead, unless a source says otherwise.
inline constexpr int kDefaultMaxAttempts = 12;

struct BackoffPolicy {
  // The ceiling of the first retry's delay; it doubles with every failed attempt.
  Duration base = std::chrono::minutes(5);
  // The largest ceiling: late retries are at most this far apart.
  Duration cap = std::chrono::hours(16);
  // A destination's Retry-After is honoured up to this much; beyond it a misconfigured or hostile
  // app could park events for months while their attempts still count.
  Duration max_retry_after = std::chrono::hours(16);
};

// kInvalidArgument unless 0 < base <= cap and 0 <= max_retry_after, both at most 100 years.
Status ValidateBackoffPolicy(const BackoffPolicy& policy);

// The ceiling of the delay after failed attempt number `attempt` (0-based, i.e. the record's
// `attempts` before this failure is counted): min(cap, base * 2^attempt), computed without
// overflow. A negative attempt counts as 0.
Duration MaxDelay(int attempt, const BackoffPolicy& policy);

// The longest time from the first attempt to the last of `max_attempts` (sum of the ceilings of
// the max_attempts - 1 retries, not counting the attempts' own durations or any Retry-After).
// Zero when max_attempts <= 1.
Duration MaxRetrySpan(int max_attempts, const BackoffPolicy& policy);

// When to try again after failed attempt number `attempt` (as in MaxDelay): now + a delay drawn
// uniformly, to the microsecond, from [0, MaxDelay(attempt)]. When the destination sent a
// Retry-After, the later of that and the drawn time wins, with the Retry-After first capped at
// policy.max_retry_after (a negative one counts as zero). Draws from `rng` (rejection sampling,
// unbiased) and touches nothing else. The policy must pass ValidateBackoffPolicy.
Timestamp NextAttemptAt(int attempt, Timestamp now, Rng& rng, const BackoffPolicy& policy,
                        std::optional<Duration> retry_after = std::nullopt);

// Reads a Retry-After header value (RFC 9110 §10.2.3) as a delay from `now`:
//   delay-seconds  "120" — digits only; no sign, fraction or exponent. Values past 2^31 seconds
//                  read as 2^31 (the convention of RFC 9111 §1.2.2); max_retry_after caps it
//                  anyway.
//   HTTP-date      "Wed, 21 Oct 2026 07:28:00 GMT" and the two obsolete forms (http_date.h); a
//                  date in the past means "now" and reads as zero.
// Surrounding spaces and tabs are ignored. nullopt for anything else, including negatives and
// the empty string: the caller then falls back to its own backoff.
std::optional<Duration> ParseRetryAfter(std::string_view header, Timestamp now);

}  // namespace hookfence::delivery
