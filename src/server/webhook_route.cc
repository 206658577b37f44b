// POST /webhooks/{source}: verify, extract the id, store durably, answer (DESIGN §5).
// Never a 2xx unless the store said the event is durable.
#include <strings.h>

#include "hookfence/fingerprint.h"
#include "hookfence/keys.h"
#include "src/delivery/ordering_key.h"
#include "src/server/dispatcher.h"
#include "src/server/loop_lag.h"
#include "src/server/routes.h"
#include "src/server/sync_forward.h"
#include "src/server/webhook_answers.h"

namespace hookfence::server {
namespace {

// The request headers kept with the event and forwarded to the app: the content type and the
// provider's event/topic/delivery headers — never its signature.
bool WorthForwarding(std::string_view name) {
  auto starts_with = [&](std::string_view prefix) {
    return name.size() >= prefix.size() &&
           strncasecmp(name.data(), prefix.data(), prefix.size()) == 0;
  };
  auto contains = [&](std::string_view part) {
    for (std::size_t i = 0; i + part.size() <= name.size(); ++i) {
      if (strncasecmp(name.data() + i, part.data(), part.size()) == 0) return true;
    }
    return false;
  };
  if (contains("signature") || contains("hmac") || contains("authorization")) return false;
  for (std::string_view prefix :
       {"content-type", "x-github-", "x-shopify-", "x-razorpay-", "x-slack-", "square-", "paddle-",
        "webhook-", "svix-", "x-webhook-"}) {
    if (starts_with(prefix)) return true;
  }
  return false;
}

Headers ForwardedHeaders(const Headers& headers) {
  Headers kept;
  for (const auto& [name, value] : headers) {
    if (WorthForwarding(name)) kept.emplace_back(name, value);
  }
  return kept;
}

// The answers nearly every request gets, serialized once.
const HttpResponse kAccepted = Prebuilt(StatusResponse(200, "accepted", "stored durably"));
const HttpResponse kQueued =
    Prebuilt(StatusResponse(200, "queued", "stored durably; delivery waits its turn"));
const HttpResponse kDuplicate =
    Prebuilt(StatusResponse(200, "duplicate", "already received; not stored again"));
// Served without verifying or storing anything, so a saturated loop catches up.
const HttpResponse kSaturated = Prebuilt(WithRetryAfter(
    ErrorResponse(429, "overloaded", "the gateway is saturated; retry later"), kRetryAfterSeconds));

// True when any Content-Encoding header names something but identity. Every one is looked at:
// a repeated header must not hide gzip behind a first "identity".
bool EncodedBody(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), "Content-Encoding") == 0 &&
        strcasecmp(value.c_str(), "identity") != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

boost::asio::awaitable<HttpResponse> HandleWebhook(std::shared_ptr<GatewayCore> core,
                                                   HttpRequest request, std::string source_name,
                                                   std::string* outcome, std::string* event_id) {
  std::shared_ptr<const Settings> settings = core->settings();
  const Source* source = settings->sources->Find(source_name);
  if (source == nullptr) {
    co_return Refuse(outcome, 404, "unknown_source", "no source named '" + source_name + "'");
  }
  if (request.method != "POST") {
    HttpResponse response = Refuse(outcome, 405, "method_not_allowed", "webhooks are POSTed");
    response.headers.emplace_back("Allow", "POST");
    co_return response;
  }
  if (request.loop != nullptr && !request.loop->Admit()) {
    *outcome = "overloaded";
    co_return kSaturated;
  }
  if (EncodedBody(request.headers)) {
    co_return Refuse(outcome, 415, "unsupported_encoding",
                     "Content-Encoding is not accepted; send the body uncompressed");
  }
  const Provider& provider = *source->provider;
  Verdict verdict = provider.Verify(request.headers, request.body, core->clock().Now());
  if (verdict.kind == Verdict::Kind::kBadSignature) {
    co_return Refuse(outcome, 401, "bad_signature", verdict.message);
  }
  if (verdict.kind == Verdict::Kind::kStaleTimestamp) {
    co_return Refuse(outcome, 401, "stale_timestamp", verdict.message);
  }
  if (auto challenge = provider.Handshake(request.headers, request.body)) {
    *outcome = "handshake";
    HttpResponse response;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = std::move(*challenge);
    co_return response;
  }
  EventIdResult id = provider.EventId(request.headers, request.body);
  switch (id.kind) {
    case EventIdResult::Kind::kOk:
      break;
    case EventIdResult::Kind::kMissing:
      co_return Refuse(outcome, 400, "missing_event_id", id.message);
    case EventIdResult::Kind::kInvalid:
      co_return Refuse(outcome, 400, "invalid_event_id", id.message);
    case EventIdResult::Kind::kMalformedBody:
      co_return Refuse(outcome, 400, "malformed_body", id.message);
  }
  *event_id = id.id;
  auto key = MakeKey(source_name, id.id);
  if (!key.ok()) co_return Refuse(outcome, 400, "invalid_event_id", key.status().message());

  const DeliveryConfig& delivery = source->config.delivery;
  std::string ordering_key;
  if (!delivery.ordering_key.empty()) {
    auto extracted = delivery::ExtractOrderingKey(request.body, delivery.ordering_key);
    if (!extracted.ok()) {
      co_return Refuse(
          outcome, 400, "malformed_body",
          "ordering key " + delivery.ordering_key + ": " + extracted.status().message());
    }
    ordering_key = std::move(*extracted);
  }
  Payload payload;
  payload.headers = ForwardedHeaders(request.headers);
  payload.body = std::move(request.body);
  if (delivery.mode == SourceMode::kSync) {
    co_return co_await ForwardSync(core, settings, source_name, std::move(*key), std::move(payload),
                                   outcome);
  }

  // While the dispatcher has room, ask for the record leased to this gateway and hand it over in
  // memory; otherwise it waits in the store (Queued) for a ClaimDue.
  Dispatcher* dispatcher = core->dispatcher();
  const bool reserved = dispatcher != nullptr && dispatcher->TryReserve();
  AcceptRequest accept;
  accept.key = *key;
  accept.fingerprint = Fingerprint(payload.body);
  accept.ordering_key = ordering_key;
  if (reserved) accept.lease = dispatcher->lease();
  accept.payload = std::move(payload);  // handed back with the answer, never copied
  auto stored = co_await core->store().Accept(std::move(accept));
  const bool handed = reserved && stored && stored->outcome.ok() &&
                      stored->outcome->kind == AcceptOutcome::Kind::kInserted;
  if (handed) {
    DeliveryJob job;
    job.key = std::move(*key);
    job.fence = stored->outcome->fence;
    job.lease_until = stored->outcome->lease_until.value_or(core->clock().Now());
    job.ordering_key = std::move(ordering_key);
    job.payload = std::move(stored->payload);
    dispatcher->Hand(std::move(job));
  } else if (reserved) {
    dispatcher->Unreserve();
  }
  if (dispatcher != nullptr && stored && stored->outcome.ok() &&
      stored->outcome->kind == AcceptOutcome::Kind::kQueued) {
    dispatcher->NoteBacklog();
  }
  if (!stored) co_return StoreTrouble(outcome, ResourceExhaustedError("store queue full"));
  const Result<AcceptOutcome>& result = stored->outcome;
  if (!result.ok()) {
    if (result.status().code() != StatusCode::kResourceExhausted) {
      core->log().warn("store error for {}:{}: {}", source_name, id.id, result.status().ToString());
    }
    co_return StoreTrouble(outcome, result.status());
  }
  switch (result->kind) {
    case AcceptOutcome::Kind::kInserted:
      *outcome = "accepted";
      co_return kAccepted;
    case AcceptOutcome::Kind::kQueued:
      *outcome = "queued";
      co_return kQueued;
    case AcceptOutcome::Kind::kDuplicate:
      *outcome = "duplicate";
      co_return kDuplicate;
    case AcceptOutcome::Kind::kMismatch:
      co_return FingerprintMismatch(outcome);
    case AcceptOutcome::Kind::kFull:
      co_return StoreFull(outcome);
  }
  co_return Refuse(outcome, 500, "internal", "unhandled store outcome");
}

}  // namespace hookfence::server
