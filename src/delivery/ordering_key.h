// Ordering keys: the value in a webhook body that serialises its deliveries.
//
// A source with `ordering_key = "data.object.id"` stores, with each record, the value found at that
// path; the store then delivers records with the same key one at a time in receipt order
// (DESIGN §2, ClaimDue). The path is a dotted list of object member names:
//   path     = segment *( "." segment )      at most 256 bytes and 32 segments
//   segment  = 1*( printable ASCII except "." "[" "]" "*" )
// Arrays are not supported: "[", "]" and "*" are refused now so that indexing can be added later
// without changing what an existing path means, and a path that meets an array (or any other
// non-object) on its way finds nothing. A member name containing "." cannot be addressed. A
// leading "$" segment (JSONPath habit) is refused rather than silently never matching.
// Thread-safety: safe to call concurrently; each thread reuses its own parser and padded buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hookfence/result.h"
#include "hookfence/status.h"

namespace hookfence::delivery {

inline constexpr std::size_t kMaxOrderingPathBytes = 256;
inline constexpr std::size_t kMaxOrderingPathSegments = 32;
inline constexpr std::size_t kMaxOrderingKeyBytes = 256;

// Config-time check of an ordering_key path; kInvalidArgument names what is wrong.
Status ValidateOrderingPath(std::string_view path);

// The ordering key of `body` at `path`:
//   a string            its unescaped value ("" counts as no key);
//   an integer          its decimal text as written, any width ("42" and 42 are the same key);
//   missing, null, a float, a boolean, an object or an array, or a body that is not an object
//                       "" — the event is not ordered. Refusing it would drop a valid event
//                       because of a delivery setting.
// kInvalidArgument when the path is invalid (see ValidateOrderingPath), when the JSON walked on
// the way is malformed, when a member on the path appears twice in its object (which one is meant
// is ambiguous, as with a duplicated event id), or when the key is longer than
// kMaxOrderingKeyBytes. Only the objects on the path are read in full; the gateway has validated
// the body as a whole before.
Result<std::string> ExtractOrderingKey(std::string_view body, std::string_view path);

}  // namespace hookfence::delivery
