// Payload fingerprints: SHA-256 of the raw body, as 64 lower-case hex digits.
//
// A redelivery with the same key but another fingerprint is a Mismatch, never a Duplicate.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace hookfence {

std::string Fingerprint(std::string_view raw_body);

}  // namespace hookfence
