#include "src/delivery/retry_policy.h"

#include <gtest/gtest.h>

#include <chrono>

#include "testing/simulated_clock.h"

namespace hookfence::delivery {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using Kind = RetryDecision::Kind;
using DeadReason = RetryDecision::DeadReason;

AttemptOutcome Response(int status, int attempts = 0) {
  AttemptOutcome outcome;
  outcome.kind = AttemptOutcome::Kind::kResponse;
  outcome.http_status = status;
  outcome.attempts = attempts;
  return outcome;
}

AttemptOutcome Failure(AttemptOutcome::Kind kind, std::string error, int attempts = 0) {
  AttemptOutcome outcome;
  outcome.kind = kind;
  outcome.error = std::move(error);
  outcome.attempts = attempts;
  return outcome;
}

TEST(ClassifyStatusTest, FollowsTheOneList) {
  for (int status : {200, 201, 202, 204, 299}) {
    EXPECT_EQ(ClassifyStatus(status), AnswerClass::kSuccess) << status;
  }
  for (int status : {408, 425, 429, 500, 501, 502, 503, 504, 599}) {
    EXPECT_EQ(ClassifyStatus(status), AnswerClass::kRetryable) << status;
  }
  for (int status : {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 426, 451, 499}) {
    EXPECT_EQ(ClassifyStatus(status), AnswerClass::kFinal) << status;
  }
  // Not a verdict on the event: a redirect, an interim answer, a broken proxy's nonsense.
  for (int status : {100, 199, 300, 301, 302, 304, 307, 399, 0, -1, 600, 999}) {
    EXPECT_EQ(ClassifyStatus(status), AnswerClass::kRetryable) << status;
  }
}

TEST(ClassifyOutcomeTest, AddsNetworkFailuresAndRetry4xx) {
  EXPECT_EQ(ClassifyOutcome(Response(204), false), AnswerClass::kSuccess);
  EXPECT_EQ(ClassifyOutcome(Response(404), false), AnswerClass::kFinal);
  EXPECT_EQ(ClassifyOutcome(Response(404), true), AnswerClass::kRetryable);
  EXPECT_EQ(ClassifyOutcome(Response(503), false), AnswerClass::kRetryable);
  EXPECT_EQ(ClassifyOutcome(Response(200), true), AnswerClass::kSuccess);
  EXPECT_EQ(ClassifyOutcome(Failure(AttemptOutcome::Kind::kTimeout, ""), false),
            AnswerClass::kRetryable);
  EXPECT_EQ(ClassifyOutcome(Failure(AttemptOutcome::Kind::kConnectionError, ""), false),
            AnswerClass::kRetryable);
}

class DecideTest : public ::testing::Test {
 protected:
  testing::SimulatedClock clock_;
  Rng rng_{11};
  RetryOptions options_;
};

TEST_F(DecideTest, TwoHundredsAreDelivered) {
  RetryDecision decision = DecideAfterAttempt(Response(204), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kDelivered);
  EXPECT_EQ(decision.dead_reason, DeadReason::kNone);
  // Even on the last allowed attempt.
  decision = DecideAfterAttempt(Response(200, 11), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kDelivered);
}

TEST_F(DecideTest, FinalAnswersAreDeadAtOnce) {
  RetryDecision decision = DecideAfterAttempt(Response(404), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kDead);
  EXPECT_EQ(decision.dead_reason, DeadReason::kRejected);
  EXPECT_EQ(decision.reason, "HTTP 404 is final (retry_4xx = false)");
}

TEST_F(DecideTest, Retry4xxMakesEveryClientErrorRetryable) {
  options_.retry_4xx = true;
  RetryDecision decision = DecideAfterAttempt(Response(404), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kRetry);
  EXPECT_EQ(decision.reason, "HTTP 404 (attempt 1 of 12)");
  // ... and still runs out.
  decision = DecideAfterAttempt(Response(422, 11), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kDead);
  EXPECT_EQ(decision.dead_reason, DeadReason::kExhausted);
}

TEST_F(DecideTest, RetryableFailuresAreRetriedWithBackoff) {
  const Timestamp now = clock_.Now();
  for (AttemptOutcome outcome :
       {Response(408), Response(425), Response(429), Response(500), Response(503),
        Failure(AttemptOutcome::Kind::kTimeout, "no response within 10 s"),
        Failure(AttemptOutcome::Kind::kConnectionError, "connection refused")}) {
    RetryDecision decision = DecideAfterAttempt(outcome, now, rng_, options_);
    EXPECT_EQ(decision.kind, Kind::kRetry);
    EXPECT_GE(decision.retry_at, now);
    EXPECT_LE(decision.retry_at, now + minutes(5));
  }
  RetryDecision decision =
      DecideAfterAttempt(Failure(AttemptOutcome::Kind::kConnectionError, "connection refused", 2),
                         now, rng_, options_);
  EXPECT_EQ(decision.reason, "connection error: connection refused (attempt 3 of 12)");
  EXPECT_LE(decision.retry_at, now + minutes(20));
}

TEST_F(DecideTest, UsesTheRecordsAttemptsAsTheBackoffStep) {
  const Timestamp now = clock_.Now();
  Rng expected_rng(11);
  RetryDecision decision = DecideAfterAttempt(Response(503, 6), now, rng_, options_);
  EXPECT_EQ(decision.retry_at, NextAttemptAt(6, now, expected_rng, options_.backoff));
}

TEST_F(DecideTest, HonoursRetryAfter) {
  AttemptOutcome outcome = Response(429);
  outcome.retry_after = hours(1);
  RetryDecision decision = DecideAfterAttempt(outcome, clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kRetry);
  EXPECT_EQ(decision.retry_at, clock_.Now() + hours(1));
}

TEST_F(DecideTest, DeadWhenTheLastAllowedAttemptFails) {
  // attempts + 1 >= max_attempts: the 11th attempt (10 before it) is retried, the 12th is not.
  RetryDecision decision = DecideAfterAttempt(Response(503, 10), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kRetry);
  decision = DecideAfterAttempt(Response(503, 11), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kDead);
  EXPECT_EQ(decision.dead_reason, DeadReason::kExhausted);
  EXPECT_EQ(decision.reason, "gave up after 12 attempts (max_attempts = 12); last: HTTP 503");
  // A record whose count already passed the limit (the limit was lowered) is dead too.
  decision = DecideAfterAttempt(Response(503, 40), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kDead);
  options_.max_attempts = 1;
  decision =
      DecideAfterAttempt(Failure(AttemptOutcome::Kind::kTimeout, ""), clock_.Now(), rng_, options_);
  EXPECT_EQ(decision.kind, Kind::kDead);
  EXPECT_EQ(decision.reason, "gave up after 1 attempts (max_attempts = 1); last: timeout");
}

TEST_F(DecideTest, DrawsRandomnessOnlyForRetries) {
  Rng untouched(11);
  DecideAfterAttempt(Response(200), clock_.Now(), rng_, options_);
  DecideAfterAttempt(Response(404), clock_.Now(), rng_, options_);
  DecideAfterAttempt(Response(503, 11), clock_.Now(), rng_, options_);
  EXPECT_EQ(rng_, untouched);
}

TEST_F(DecideTest, AnEventThatAlwaysFailsDiesWithinTheSchedule) {
  // The dispatcher's loop on a simulated clock: attempt, fail with 503, wait until due, again.
  const Timestamp first_attempt = clock_.Now();
  int attempts = 0;
  while (true) {
    RetryDecision decision =
        DecideAfterAttempt(Response(503, attempts), clock_.Now(), rng_, options_);
    ++attempts;
    if (decision.kind == Kind::kDead) {
      break;
    }
    ASSERT_EQ(decision.kind, Kind::kRetry);
    const Duration wait = decision.retry_at - clock_.Now();
    ASSERT_LE(wait, MaxDelay(attempts - 1, options_.backoff));
    clock_.Advance(wait);
  }
  EXPECT_EQ(attempts, 12);
  EXPECT_LE(clock_.Now() - first_attempt, MaxRetrySpan(12, options_.backoff));
  EXPECT_GT(clock_.Now() - first_attempt, hours(16));  // seed 11 draws a span of ordinary size
}

TEST(ValidateRetryOptionsTest, ChecksAttemptsAndBackoff) {
  EXPECT_TRUE(ValidateRetryOptions(RetryOptions()).ok());
  RetryOptions options;
  options.max_attempts = 0;
  EXPECT_EQ(ValidateRetryOptions(options).code(), StatusCode::kInvalidArgument);
  options.max_attempts = 1;
  options.backoff.cap = seconds(1);
  EXPECT_EQ(ValidateRetryOptions(options).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hookfence::delivery
