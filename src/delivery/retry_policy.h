// Retry policy: what the dispatcher does with the outcome of one delivery attempt.
//
// One list of retryable answers serves delivery and sync mode (DESIGN §5): 2xx is delivered;
// 408, 425, 429, 5xx, timeouts and connection errors are worth another try; every other 4xx is the
// app refusing the event, final unless the source sets retry_4xx. Anything else a destination can
// answer (1xx, 3xx, a status outside 100-599) is treated as retryable: it is a misconfiguration or
// a broken proxy rather than a verdict on the event, and an event is only given up early on a
// clear "no" from the app. A retryable failure becomes dead once it was the last allowed attempt
// (attempts + 1 >= max_attempts); dead events stay in the store for replay.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "hookfence/clock.h"
#include "hookfence/status.h"
#include "src/delivery/backoff.h"

namespace hookfence::delivery {

// How one answer, on its own, is read. Shared with sync mode, which has no retry_4xx.
enum class AnswerClass {
  kSuccess,    // 2xx
  kRetryable,  // 408, 425, 429, 5xx, and statuses that are not a verdict (see above)
  kFinal,      // any other 4xx
};

AnswerClass ClassifyStatus(int http_status);

// What came back from one attempt.
struct AttemptOutcome {
  enum class Kind {
    kResponse,         // the destination answered with http_status
    kTimeout,          // connect or response timeout
    kConnectionError,  // refused, reset, DNS, TLS handshake: no answer at all
  };
  Kind kind = Kind::kResponse;
  int http_status = 0;                  // kResponse only
  std::optional<Duration> retry_after;  // the response's Retry-After, via ParseRetryAfter
  std::string error;                    // kTimeout / kConnectionError: what happened, for logs
  int attempts = 0;                     // the record's finished attempts before this one
};

struct RetryOptions {
  int max_attempts = kDefaultMaxAttempts;
  bool retry_4xx =
      false;  // treat every 4xx as retryable (for apps that answer 404 while deploying)
  BackoffPolicy backoff;
};

// The class of a whole outcome: timeouts and connection errors are retryable, and retry_4xx turns
// a final 4xx into a retryable one. The circuit breaker counts exactly the retryable outcomes as
// failures: a final 4xx is the app answering (refusing one event), not the destination failing.
AnswerClass ClassifyOutcome(const AttemptOutcome& outcome, bool retry_4xx);

// kInvalidArgument unless max_attempts >= 1 and the backoff policy is valid.
Status ValidateRetryOptions(const RetryOptions& options);

struct RetryDecision {
  enum class Kind { kDelivered, kRetry, kDead };
  enum class DeadReason {
    kNone,
    kRejected,   // a final answer (a 4xx without retry_4xx)
    kExhausted,  // the last allowed attempt failed retryably
  };
  Kind kind = Kind::kDelivered;
  Timestamp retry_at{};  // kRetry: the record's next due_at
  DeadReason dead_reason = DeadReason::kNone;
  std::string reason;  // kRetry / kDead: a one-line explanation for last_error and logs
};

// Decides the fate of an attempt finished at `now`. A retry's time comes from NextAttemptAt with
// outcome.attempts as the attempt number and the outcome's Retry-After; `rng` is drawn from only
// then. The options must pass ValidateRetryOptions.
RetryDecision DecideAfterAttempt(const AttemptOutcome& outcome, Timestamp now, Rng& rng,
                                 const RetryOptions& options);

}  // namespace hookfence::delivery
