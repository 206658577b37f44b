#include "src/server/sync_forward.h"

#include <algorithm>

#include "hookfence/fingerprint.h"
#include "src/delivery/retry_policy.h"
#include "src/server/destination.h"
#include "src/server/owner_calls.h"
#include "src/server/webhook_answers.h"

namespace hookfence::server {
namespace {

// Store calls are built outside the coroutine: GCC 12 mis-handles lambda captures created in a
// coroutine body.
std::function<Result<BeginOutcome>(Store&)> BeginCall(BeginRequest request) {
  return [request = std::move(request)](Store& store) mutable {
    return store.Begin(std::move(request));
  };
}
// The app's answer as the provider sees it, first time and replayed alike.
HttpResponse FromStored(const Response& stored, bool replayed) {
  HttpResponse response;
  response.status = stored.status;
  response.headers = stored.headers;
  response.body = stored.body;
  if (replayed) response.headers.emplace_back("Hookfence-Replayed", "true");
  return response;
}

// What of the app's answer is kept: its status, content type and body.
Response StoredFrom(const DestinationAnswer& answer) {
  Response stored;
  stored.status = answer.status;
  if (auto type = FindHeader(answer.headers, "Content-Type")) {
    stored.headers.emplace_back("Content-Type", std::string(*type));
  }
  stored.body = answer.body;
  return stored;
}

}  // namespace

boost::asio::awaitable<HttpResponse> ForwardSync(std::shared_ptr<GatewayCore> core,
                                                 std::shared_ptr<const Settings> settings,
                                                 std::string source_name, std::string key,
                                                 Payload payload, std::string* outcome) {
  const Source* source = settings->sources->Find(source_name);
  Destination& destination = *source->destination;
  const DeliveryConfig& config = destination.config();
  // The lease covers one whole exchange with the app; past it a provider's retry takes over.
  const Duration lease = config.connect_timeout + config.response_timeout + std::chrono::seconds(1);

  BeginRequest begin;
  begin.key = key;
  begin.fingerprint = Fingerprint(payload.body);
  begin.lease = lease;
  begin.payload = payload;
  auto begun = co_await core->store().Run<Result<BeginOutcome>>(BeginCall(std::move(begin)));
  if (!begun) co_return StoreTrouble(outcome, ResourceExhaustedError("queue full"));
  if (!begun->ok()) {
    core->log().warn("store error for {}: {}", key, begun->status().ToString());
    co_return StoreTrouble(outcome, begun->status());
  }
  const BeginOutcome& claim = **begun;
  switch (claim.kind) {
    case BeginOutcome::Kind::kAcquired:
      break;
    case BeginOutcome::Kind::kInProgress: {
      const auto left = std::chrono::ceil<std::chrono::seconds>(
          claim.lease_until.value_or(core->clock().Now()) - core->clock().Now());
      co_return WithRetryAfter(
          Refuse(outcome, 409, "in_progress",
                 "this event is being handled right now; retry after the first answer"),
          static_cast<int>(std::clamp<std::int64_t>(left.count(), 1, 3600)));
    }
    case BeginOutcome::Kind::kCompleted:
      *outcome = "replayed";
      if (claim.response) co_return FromStored(*claim.response, /*replayed=*/true);
      {
        HttpResponse response = StatusResponse(200, "duplicate", "already handled");
        response.headers.emplace_back("Hookfence-Replayed", "true");
        co_return response;
      }
    case BeginOutcome::Kind::kDead:
      *outcome = "duplicate";
      co_return StatusResponse(200, "duplicate", "already received; not forwarded again");
    case BeginOutcome::Kind::kMismatch:
      co_return FingerprintMismatch(outcome);
    case BeginOutcome::Kind::kFull:
      co_return StoreFull(outcome);
  }

  // Hookfence-Attempt: every takeover of a sync record raises its fence by one, so the fence
  // counts the provider's tries that reached the app.
  Headers headers = destination.request_builder().Build(
      key, claim.fence, static_cast<std::uint32_t>(claim.fence), payload, core->clock().Now());
  const Timestamp started_at = core->clock().Now();
  DestinationAnswer answer = co_await destination.client().Post(std::move(headers), payload.body);
  Attempt attempt{started_at, claim.fence,
                  answer.kind == DestinationAnswer::Kind::kResponse ? answer.status : 0, "",
                  answer.latency};

  const bool final_answer =
      answer.kind == DestinationAnswer::Kind::kResponse && !answer.truncated &&
      delivery::ClassifyStatus(answer.status) != delivery::AnswerClass::kRetryable;
  if (final_answer) {
    Response stored = StoredFrom(answer);
    auto completed =
        co_await core->store().Write(CompleteCall(key, claim.fence, std::move(attempt), stored));
    if (completed && !completed->ok() && completed->code() != StatusCode::kAborted) {
      // The app answered but the answer is not durable: the provider must try again (the app
      // sees the same Idempotency-Key).
      core->log().warn("{}: the app answered {} but the answer could not be stored: {}", key,
                       answer.status, completed->ToString());
      co_return StoreTrouble(outcome, *completed);
    }
    if (!completed) co_return StoreTrouble(outcome, ResourceExhaustedError("queue full"));
    *outcome = "forwarded";
    co_return FromStored(stored, /*replayed=*/false);
  }

  // Not final: give the record back, due now, so the provider's retry runs the app again.
  FailRequest request;
  request.key = key;
  request.fence = claim.fence;
  request.retry_at = core->clock().Now();
  HttpResponse response;
  switch (answer.kind) {
    case DestinationAnswer::Kind::kResponse:
      if (answer.truncated) {
        request.error = "the app's answer is larger than max_response_bytes (" +
                        std::to_string(config.max_response_bytes) + ")";
        response = Refuse(outcome, 502, "destination_response_too_large", request.error);
      } else {
        request.error = "HTTP " + std::to_string(answer.status) + " (retryable)";
        *outcome = "forwarded_retryable";
        response = FromStored(StoredFrom(answer), /*replayed=*/false);
      }
      break;
    case DestinationAnswer::Kind::kTimeout:
      request.error = answer.error;
      response = Refuse(outcome, 504, "destination_timeout",
                        "the app did not answer within response_timeout");
      break;
    case DestinationAnswer::Kind::kConnectionError:
      request.error = answer.error;
      response = Refuse(outcome, 502, "destination_unreachable",
                        "the app could not be reached: " + answer.error);
      break;
  }
  attempt.error = request.error;
  request.attempt = std::move(attempt);
  auto failed = co_await core->store().Write(FailCall(std::move(request)));
  if (!failed || (!failed->ok() && failed->code() != StatusCode::kAborted)) {
    // Its lease lapses instead; the provider's retry then takes the record over.
    core->log().warn("{}: could not record the failed attempt: {}", key,
                     failed ? failed->ToString() : std::string("store queue full"));
  }
  co_return response;
}

}  // namespace hookfence::server
