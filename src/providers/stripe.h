// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over "<t>.<body>" with
// the whole whsec_… string as key; the event id is the body's top-level "id" (evt_…).
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// `config` has passed MakeProvider's common checks (secrets present and non-empty).
Result<std::unique_ptr<Provider>> MakeStripeProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
