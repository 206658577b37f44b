// Building Verdicts, so every provider words the same failure the same way.
// Messages go to the provider in the response body and to logs: they name headers and rules,
// never a secret or an expected signature.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "hookfence/providers.h"
#include "src/providers/header_lookup.h"

namespace hookfence::providers {

Verdict ValidVerdict();
Verdict BadSignature(std::string message);
Verdict StaleTimestamp(std::string message);

// After a signature matched: kValid when the signed timestamp is within the tolerance of now
// (both ways), else kStaleTimestamp naming the skew.
Verdict FreshnessVerdict(Timestamp now, std::int64_t signed_seconds, Duration tolerance);

// kBadSignature for a signature or timestamp header that is absent or sent more than once.
Verdict HeaderProblem(const HeaderLookup& lookup);

}  // namespace hookfence::providers
