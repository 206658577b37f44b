// Square: `x-square-hmacsha256-signature: <base64>`, HMAC-SHA256 of the notification URL followed
// by the raw body, keyed with the subscription's signature key; the legacy SHA-1
// `x-square-signature` is ignored. The URL must be byte-for-byte the one configured in Square
// (scheme, host, path, trailing slash), which is why it is configuration and not derived from the
// request: behind a TLS-terminating proxy the request hookfence sees is not the one Square sent.
// No signed timestamp. The event id is the body's top-level "event_id".
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// kInvalidArgument without config.notification_url.
Result<std::unique_ptr<Provider>> MakeSquareProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
