// Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<body>"
// with the app's signing secret; tolerance 300 s by default.
//
// Events API deliveries are JSON and carry a top-level "event_id", kept across retries (retries
// add unsigned X-Slack-Retry-* headers). A `url_verification` body is a handshake: Handshake()
// answers {"challenge": …} and it is never stored. Form posts (slash commands, interactivity)
// carry no event id, so EventId answers kMissing for them.
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// `config` has passed MakeProvider's common checks (secrets present and non-empty).
Result<std::unique_ptr<Provider>> MakeSlackProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
