// The generic scheme ("hmac"): HMAC-SHA256 of the raw body with the secret's UTF-8 bytes, sent in
// a configurable header as hex (either case) or padded standard base64, optionally after a fixed
// prefix such as "sha256=". The event id is read from a configurable header. No signed
// timestamp, so nothing bounds how late a captured request can be replayed: prefer a provider's
// own scheme when hookfence has one.
//
// Unlike the provider schemes, the received signature is decoded and the bytes compared, so hex
// case does not matter; a signature of the wrong length or alphabet is refused before comparing.
// Thread-safety: the Provider it makes is immutable (see hookfence/providers.h).
#pragma once

#include <memory>

#include "hookfence/providers.h"

namespace hookfence::providers {

// kInvalidArgument for an encoding other than hex|base64, or an empty signature_header or
// id_header.
Result<std::unique_ptr<Provider>> MakeGenericHmacProvider(const ProviderConfig& config);

}  // namespace hookfence::providers
