// ISO-8601 UTC timestamps as the CLI shows and reads them: 2026-11-23T09:30:00.123456Z.
//
// Output always carries six fractional digits (the stores keep microseconds), so listings line up
// and sort as text. Input is deliberately strict — UTC ("Z") only, no offsets, no week dates — so a
// --since that would be read in the wrong zone is refused rather than silently shifted.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "hookfence/clock.h"
#include "hookfence/result.h"

namespace hookfence::cli {

// "YYYY-MM-DDTHH:MM:SS.ffffffZ".
std::string FormatIso8601(Timestamp t);

// Parses "YYYY-MM-DDTHH:MM:SSZ" or the same with 1-6 fractional digits before the "Z".
// kInvalidArgument, naming the expected form, for anything else (including impossible dates).
Result<Timestamp> ParseIso8601(std::string_view text);

}  // namespace hookfence::cli
