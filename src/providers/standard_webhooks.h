// Standard Webhooks and Svix (the same scheme under two header prefixes).
//
// Signed bytes: "<id>.<timestamp>.<body>", HMAC-SHA256 keyed with the base64-decoded part of the
// `whsec_<base64>` secret; `webhook-signature` (or `svix-signature`) holds space-separated
// `v1,<base64>` entries, and entries of other versions (v1a is Ed25519) are skipped. The event
// id is the signed `webhook-id` (`svix-id`) header.
// Thread-safety: the Providers it makes are immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// Reads and sends webhook-id, webhook-timestamp, webhook-signature.
Result<std::unique_ptr<Provider>> MakeStandardWebhooksProvider(const ProviderConfig& config);

// Reads svix-* headers, falling back to webhook-* per header as Svix's own library does; sends
// svix-*.
Result<std::unique_ptr<Provider>> MakeSvixProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
