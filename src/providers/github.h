// GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body with the webhook
// secret; the legacy SHA-1 `X-Hub-Signature` is ignored. No signed timestamp. The event id is the
// `X-GitHub-Delivery` GUID, which GitHub keeps when it redelivers.
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// `config` has passed MakeProvider's common checks (secrets present and non-empty).
Result<std::unique_ptr<Provider>> MakeGithubProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
