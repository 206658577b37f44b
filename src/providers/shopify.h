// Shopify: `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 of the raw body with the app's client
// secret. No signed timestamp (`X-Shopify-Triggered-At` is informational). The event id is
// `X-Shopify-Event-Id`, shared by every webhook one event triggers and kept across retries;
// `X-Shopify-Webhook-Id` names one subscription's delivery and is not used. Newer "events"
// webhooks send the same headers without the `X-` prefix; both spellings are read.
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// `config` has passed MakeProvider's common checks (secrets present and non-empty).
Result<std::unique_ptr<Provider>> MakeShopifyProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
