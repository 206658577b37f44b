// Keys and their parts (DESIGN §2): key = source + ":" + event_id.
//
// A source name matches [a-z0-9_-]{1,64}; an event id is 1–256 bytes of printable ASCII
// (0x21–0x7E). So a key is always safe in a header and, percent-encoded, in a URL.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hookfence/result.h"

namespace hookfence {

inline constexpr std::size_t kMaxSourceNameBytes = 64;
inline constexpr std::size_t kMaxEventIdBytes = 256;
// The longest key any store accepts; longer keys are refused with kInvalidArgument.
inline constexpr std::size_t kMaxKeyBytes = 512;

// kInvalidArgument with a message naming the rule that was broken.
Status ValidateSourceName(std::string_view source);
Status ValidateEventId(std::string_view event_id);

// Validates both parts and joins them.
Result<std::string> MakeKey(std::string_view source, std::string_view event_id);

// Checks a whole key: a valid source, ':', a valid event id, at most kMaxKeyBytes.
Status ValidateKey(std::string_view key);

// Percent-encodes every byte outside [A-Za-z0-9._~-] (for admin URLs).
std::string PercentEncode(std::string_view text);

}  // namespace hookfence
