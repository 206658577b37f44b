// Signed timestamps: parsing them and checking them against the tolerance window.
//
// The window is symmetric, |now - ts| <= tolerance: a timestamp too far in the future is as
// suspicious as an old one (a captured request replayed later, or a clock far off). Several
// official libraries only reject old timestamps; hookfence is deliberately stricter.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hookfence/clock.h"

namespace hookfence::providers {

// Unix seconds written as ASCII digits only (no sign, no spaces, no fraction), as every provider
// sends them. nullopt for anything else, or for a value too large for an int64.
std::optional<std::int64_t> ParseUnixSeconds(std::string_view text);

// `now` in whole Unix seconds, rounded down (the resolution providers sign).
std::int64_t UnixSeconds(Timestamp now);

// The configured tolerance, or the provider's default when it is zero (ProviderConfig's rule).
inline Duration ToleranceOr(Duration configured, Duration provider_default) {
  return configured == Duration::zero() ? provider_default : configured;
}

// True when |UnixSeconds(now) - signed_seconds| <= tolerance (compared in whole seconds).
bool WithinTolerance(Timestamp now, std::int64_t signed_seconds, Duration tolerance);

// "timestamp is 612 s in the future; the tolerance is 300 s", for Verdict messages.
std::string DescribeSkew(Timestamp now, std::int64_t signed_seconds, Duration tolerance);

}  // namespace hookfence::providers
