// What the app receives: the headers of one delivery attempt, including the gateway's own Standard
// Webhooks signature (docs/delivery.md).
//
// The gateway verified the provider's signature at receipt and stripped it; the app verifies the
// gateway instead, with one per-destination `whsec_` secret and any Standard Webhooks library.
// `webhook-id` is the record key (`<source>:<event_id>`), the same value as `Idempotency-Key`: it
// is stable across every attempt and replay of one event, so an app may dedupe on either header.
// (Standard Webhooks ids are opaque strings; the key is printable ASCII, safe in a header.)
// Thread-safety: an AppRequestBuilder is immutable after Create; Build may be called concurrently,
// and copies share the parsed secret.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "hookfence/clock.h"
#include "hookfence/providers.h"
#include "hookfence/record.h"
#include "hookfence/result.h"

namespace hookfence::delivery {

// What one destination adds to every delivery.
struct AppRequestOptions {
  Headers static_headers;      // from config, e.g. {"Authorization", "Bearer ..."}
  std::string signing_secret;  // "whsec_<base64>", empty: no signature
};

// Config-time check. kInvalidArgument unless the secret is empty or `whsec_` followed by canonical
// base64 of 24 to 64 bytes (Standard Webhooks' rule), and every static header has an HTTP token as
// its name (RFC 9110 §5.6.2), no CR, LF or NUL in its value, a name not given twice (case-blind),
// and a name the gateway does not set itself: Idempotency-Key, Hookfence-*, webhook-id,
// webhook-timestamp, webhook-signature, Content-Type, Content-Length, Host, Transfer-Encoding.
// Messages name the header or the rule, never the secret's value.
Status ValidateAppRequestOptions(const AppRequestOptions& options);

// A destination's prepared header builder: options validated and the secret parsed once.
class AppRequestBuilder {
 public:
  // kInvalidArgument as ValidateAppRequestOptions.
  static Result<AppRequestBuilder> Create(AppRequestOptions options);

  // The headers of attempt `attempt` (1-based: the record's finished attempts + 1) of the record
  // `key` (a valid key, `<source>:<event_id>`) holding fence `fence`, in this order:
  //   1. Content-Type: the payload's first one, or "application/json" when it has none;
  //   2. the payload's other forwarded headers, in their order;
  //   3. Idempotency-Key: <key>, Hookfence-Source, Hookfence-Event-Id, Hookfence-Fence: <fence>,
  //      Hookfence-Attempt: <attempt>;
  //   4. the static headers;
  //   5. with a secret: webhook-id: <key>, webhook-timestamp: <now, Unix seconds>,
  //      webhook-signature: v1,<base64 HMAC-SHA256 of "<key>.<timestamp>.<body>">.
  // When a forwarded header has a name the gateway sets, the gateway's value is sent and the
  // forwarded one is dropped: a second Content-Type, a static header's name, Idempotency-Key,
  // Hookfence-*, Content-Length, Host, Transfer-Encoding and, when signing, webhook-id,
  // webhook-timestamp and webhook-signature (a Standard Webhooks provider's own). Without a
  // secret, a provider's webhook-* headers are forwarded.
  // Aborts (HF_CHECK) on an invalid key or attempt 0: both come from the store, never from input.
  Headers Build(std::string_view key, std::uint64_t fence, std::uint32_t attempt,
                const Payload& payload, Timestamp now) const;

 private:
  AppRequestBuilder(Headers static_headers, std::shared_ptr<const Provider> signer)
      : static_headers_(std::move(static_headers)), signer_(std::move(signer)) {}

  // Whether a forwarded header called `name` gives way to one the gateway sets.
  bool Overridden(std::string_view name) const;

  Headers static_headers_;
  std::shared_ptr<const Provider> signer_;  // the standard-webhooks provider; null: unsigned
};

}  // namespace hookfence::delivery
