// The refusals a webhook route answers with (DESIGN §5 status codes), shared by async and sync
// sources. Each sets *outcome, the code that metrics and the request log count.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "hookfence/status.h"
#include "src/server/http_types.h"

namespace hookfence::server {

// The Retry-After of every refusal that asks the provider to come back (429 and 503): soon, since
// each clears as soon as the store or the loop catches up.
inline constexpr int kRetryAfterSeconds = 1;

// The error answer `code` with `status`, counted as `code`.
HttpResponse Refuse(std::string* outcome, int status, std::string_view code,
                    std::string_view message);
// 429 overloaded for kResourceExhausted (the store's queue is full), else 503 store_unavailable;
// both with Retry-After: nothing was reported stored, so the provider may retry.
HttpResponse StoreTrouble(std::string* outcome, const Status& status);
// 409 fingerprint_mismatch: the id was received before with another body.
HttpResponse FingerprintMismatch(std::string* outcome);
// 503 store_full with Retry-After: the store is at capacity.
HttpResponse StoreFull(std::string* outcome);

}  // namespace hookfence::server
