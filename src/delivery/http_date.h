// HTTP-date (RFC 9110 §5.6.7): the absolute form of a Retry-After header.
//
// A recipient must accept all three formats the RFC lists — the preferred IMF-fixdate and the two
// obsolete ones — because old servers and proxies still send them; a date we cannot read would
// turn the destination's "come back at 10:00" into our default backoff.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "hookfence/clock.h"

namespace hookfence::delivery {

// Parses, exactly and case-sensitively, one of
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT"
//   asctime      "Sun Nov  6 08:49:37 1994"
// `now` resolves rfc850's two-digit year: the RFC reads a year more than 50 years in the future as
// the most recent past year with the same last two digits. Impossible dates (31 Feb, 24:00:00) and
// anything else give nullopt. The day name must be a valid name but is not checked against the
// date: servers that get it wrong still mean the date they wrote. Second 60 (a leap second) is
// accepted and lands on the next minute.
std::optional<Timestamp> ParseHttpDate(std::string_view text, Timestamp now);

}  // namespace hookfence::delivery
