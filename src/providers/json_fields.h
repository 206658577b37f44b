// Reading named top-level members of a JSON object body, with simdjson's On Demand API.
//
// Webhook bodies are parsed only to find the event id (and Slack's handshake fields); they are
// forwarded byte for byte. The whole body is still validated: a body that is not one well-formed
// JSON object is refused, and so is an ambiguous one. On Demand's find_field stops at the first
// match and would silently pick one of two "id" members; ReadTopLevelFields instead walks every
// top-level member and counts each name, so the caller can refuse a duplicated id.
// Thread-safety: safe to call concurrently; each thread reuses its own parser and padded buffer.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "hookfence/status.h"

namespace hookfence::providers {

struct JsonField {
  enum class Kind { kAbsent, kString, kNull, kOther };
  Kind kind = Kind::kAbsent;  // the type of the first occurrence
  int count = 0;              // how many top-level members have this name (after unescaping)
  std::string value;          // kString: the first occurrence, unescaped
};

// Fills fields[i] for names[i] (the spans have equal sizes). kInvalidArgument, with simdjson's
// reason, when `body` is not a single well-formed JSON object: invalid UTF-8, bad syntax, a bad
// escape, trailing content, a number outside JSON's grammar, or nesting deeper than 256 levels.
// Numbers are checked against the grammar only, so integers wider than 64 bits are accepted.
Status ReadTopLevelFields(std::string_view body, std::span<const std::string_view> names,
                          std::span<JsonField> fields);

}  // namespace hookfence::providers
