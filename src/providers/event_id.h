// Where deduplication ids come from: a request header or a top-level member of a JSON body.
//
// Either way the id must be 1–256 bytes of printable ASCII (hookfence::ValidateEventId), so that
// the key built from it is safe in a header and a URL; an id that breaks the rule is refused, not
// repaired, because a repaired id could collide with another event's.
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string_view>

#include "hookfence/providers.h"

namespace hookfence::providers {

// kOk with `id` when it is a valid event id, else kInvalid; `where` names its origin in messages.
EventIdResult CheckedEventId(std::string_view id, std::string_view where);

// The id in the first of `names` present: kMissing when none is, kInvalid when it is sent twice or
// is not a valid event id.
EventIdResult EventIdFromHeader(const Headers& headers, std::span<const std::string_view> names);
inline EventIdResult EventIdFromHeader(const Headers& headers, const std::string_view& name) {
  return EventIdFromHeader(headers, std::span<const std::string_view>(&name, 1));
}

// The id in the top-level string member `member` of a JSON object body:
// kMalformedBody when the body is not a JSON object or has `member` more than once (ambiguous);
// kMissing when `member` is absent or null; kInvalid when it is not a string or not a valid id.
EventIdResult EventIdFromJsonBody(std::string_view body, std::string_view member);

}  // namespace hookfence::providers
