// The scheme Stripe and Paddle share: one header carrying a Unix timestamp and one or more
// lower-case hex HMAC-SHA256 signatures of "<timestamp><joiner><body>" (several during a secret
// rotation; any may match), with the event id at the top of the JSON body.
//   Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`  joiner "."  id "id"
//   Paddle: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>…]` joiner ":"  id "event_id"
// Parts with other keys (Stripe's v0, future schemes) are ignored; a second timestamp is refused.
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>
#include <string_view>

#include "hookfence/providers.h"

namespace hookfence::providers {

struct TimestampedHeaderScheme {
  std::string_view header;         // e.g. "Stripe-Signature"
  char separator;                  // between parts: ',' or ';'
  std::string_view timestamp_key;  // "t" / "ts"
  std::string_view signature_key;  // "v1" / "h1"
  std::string_view joiner;         // between timestamp and body in the signed bytes
  std::string_view id_field;       // top-level body field holding the event id
  std::string_view content_type;   // what Sign() sends
  Duration default_tolerance;
};

// `config` has passed MakeProvider's common checks (secrets present and non-empty).
Result<std::unique_ptr<Provider>> MakeTimestampedHeaderProvider(
    const ProviderConfig& config, const TimestampedHeaderScheme& scheme);

}  // namespace hookfence::providers
