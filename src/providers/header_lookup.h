// Case-insensitive lookup of request headers.
//
// HTTP field names are case-insensitive and providers disagree on case (Square and Standard
// Webhooks send lower case, GitHub mixed case). A header sent more than once is reported as such:
// two signatures or two ids in one request are ambiguous, and hookfence refuses to guess which one
// the provider meant.
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "hookfence/record.h"

namespace hookfence::providers {

struct HeaderLookup {
  enum class Kind { kAbsent, kFound, kRepeated };
  Kind kind = Kind::kAbsent;
  std::string_view name;   // the name that matched (absent: the first one), as passed in
  std::string_view value;  // kFound: the value without surrounding spaces and tabs
};

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Looks `names` up in order and answers for the first one present; a provider that renamed its
// headers passes the current name first and the older one after it. The views point into
// `headers` and `names`.
HeaderLookup LookupHeader(const Headers& headers, std::span<const std::string_view> names);
inline HeaderLookup LookupHeader(const Headers& headers, const std::string_view& name) {
  return LookupHeader(headers, std::span<const std::string_view>(&name, 1));
}

// The media type of Content-Type, lower-cased, without parameters ("" when absent).
std::string MediaType(const Headers& headers);

}  // namespace hookfence::providers
