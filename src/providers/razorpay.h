// Razorpay: `X-Razorpay-Signature: <hex>` (no prefix), HMAC-SHA256 of the raw body with the
// webhook secret set in the Dashboard (not the API key secret). No signed timestamp. The event id
// is the `X-Razorpay-Event-Id` header, the same on every retry of an event.
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// `config` has passed MakeProvider's common checks (secrets present and non-empty).
Result<std::unique_ptr<Provider>> MakeRazorpayProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
