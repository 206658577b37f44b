#include "src/delivery/retry_policy.h"

namespace hookfence::delivery {
namespace {

std::string Describe(const AttemptOutcome& outcome) {
  switch (outcome.kind) {
    case AttemptOutcome::Kind::kResponse:
      return "HTTP " + std::to_string(outcome.http_status);
    case AttemptOutcome::Kind::kTimeout:
      return outcome.error.empty() ? "timeout" : "timeout: " + outcome.error;
    case AttemptOutcome::Kind::kConnectionError:
      return outcome.error.empty() ? "connection error" : "connection error: " + outcome.error;
  }
  return "unknown outcome";
}

}  // namespace

AnswerClass ClassifyStatus(int http_status) {
  if (http_status >= 200 && http_status <= 299) {
    return AnswerClass::kSuccess;
  }
  if (http_status >= 400 && http_status <= 499) {
    bool retryable = http_status == 408 || http_status == 425 || http_status == 429;
    return retryable ? AnswerClass::kRetryable : AnswerClass::kFinal;
  }
  return AnswerClass::kRetryable;
}

AnswerClass ClassifyOutcome(const AttemptOutcome& outcome, bool retry_4xx) {
  if (outcome.kind != AttemptOutcome::Kind::kResponse) {
    return AnswerClass::kRetryable;
  }
  AnswerClass answer = ClassifyStatus(outcome.http_status);
  if (answer == AnswerClass::kFinal && retry_4xx) {
    return AnswerClass::kRetryable;
  }
  return answer;
}

Status ValidateRetryOptions(const RetryOptions& options) {
  if (options.max_attempts < 1) {
    return InvalidArgumentError("max_attempts must be at least 1");
  }
  return ValidateBackoffPolicy(options.backoff);
}

RetryDecision DecideAfterAttempt(const AttemptOutcome& outcome, Timestamp now, Rng& rng,
                                 const RetryOptions& options) {
  RetryDecision decision;
  switch (ClassifyOutcome(outcome, options.retry_4xx)) {
    case AnswerClass::kSuccess:
      decision.kind = RetryDecision::Kind::kDelivered;
      return decision;
    case AnswerClass::kFinal:
      decision.kind = RetryDecision::Kind::kDead;
      decision.dead_reason = RetryDecision::DeadReason::kRejected;
      decision.reason = Describe(outcome) + " is final (retry_4xx = false)";
      return decision;
    case AnswerClass::kRetryable:
      break;
  }
  const int finished = outcome.attempts + 1;  // counting this one
  if (finished >= options.max_attempts) {
    decision.kind = RetryDecision::Kind::kDead;
    decision.dead_reason = RetryDecision::DeadReason::kExhausted;
    decision.reason = "gave up after " + std::to_string(finished) +
                      " attempts (max_attempts = " + std::to_string(options.max_attempts) +
                      "); last: " + Describe(outcome);
    return decision;
  }
  decision.kind = RetryDecision::Kind::kRetry;
  decision.retry_at =
      NextAttemptAt(outcome.attempts, now, rng, options.backoff, outcome.retry_after);
  decision.reason = Describe(outcome) + " (attempt " + std::to_string(finished) + " of " +
                    std::to_string(options.max_attempts) + ")";
  return decision;
}

}  // namespace hookfence::delivery
