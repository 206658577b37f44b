// Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>…]`, HMAC-SHA256 of
// "<ts>:<body>" with the notification destination's endpoint secret (pdl_ntfset_…); tolerance
// 5 s by default, as in Paddle's SDK. During Paddle's own secret rotation several h1 values are
// sent and any may match (Paddle's Node SDK only tries the last one; hookfence follows the spec).
// The event id is the body's top-level "event_id" (evt_…), the same in every notification about
// the event; "notification_id" (ntf_…) differs per destination and is not used.
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// `config` has passed MakeProvider's common checks (secrets present and non-empty).
Result<std::unique_ptr<Provider>> MakePaddleProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
