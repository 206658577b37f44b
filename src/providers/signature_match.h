// Comparing received signatures with the expected ones.
//
// A request may carry several signatures (Stripe's v1 list, Standard Webhooks' space-separated
// entries, Paddle's h1 list: one per active secret during the provider's own rotation) and a
// source may hold several secrets (ours); any pair that agrees is enough. Each comparison is
// constant-time (ConstantTimeEquals), and the received text is compared as sent: upper-case hex
// where the provider sends lower case is a different signature, as in the official libraries.
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/providers/hmac_sha256.h"

namespace hookfence::providers {

enum class SignatureEncoding { kLowerHex, kBase64 };

// True when some candidate equals `prefix` followed by the encoding of some digest.
bool MatchesAnyDigest(std::span<const std::string_view> candidates,
                      const std::vector<Sha256Digest>& digests, SignatureEncoding encoding,
                      std::string_view prefix = {});

// The encoding of `digest` after `prefix`: what the provider sends (for Sign).
std::string EncodeSignature(const Sha256Digest& digest, SignatureEncoding encoding,
                            std::string_view prefix = {});

}  // namespace hookfence::providers
