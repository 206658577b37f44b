// Hex and base64 codecs for signatures and secrets.
//
// Decoding is strict on purpose: a signature or secret that a provider produced is always in the
// canonical form, so anything else (whitespace, missing padding, stray bits) is refused rather
// than guessed at.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookfence::providers {

// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);

// The bytes of an even-length string of hex digits (either case); nullopt for anything else.
std::optional<std::string> HexDecode(std::string_view hex);

// Standard base64 (RFC 4648 §4, '+' and '/') with '=' padding.
std::string Base64Encode(std::string_view bytes);

// The bytes of canonical standard base64: padded to a multiple of 4, no whitespace, '=' only at
// the end, unused trailing bits zero. nullopt for anything else (including base64url).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace hookfence::providers
