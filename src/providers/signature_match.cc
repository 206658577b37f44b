#include "src/providers/signature_match.h"

#include "hookfence/providers.h"
#include "src/providers/encoding.h"

namespace hookfence::providers {

std::string EncodeSignature(const Sha256Digest& digest, SignatureEncoding encoding,
                            std::string_view prefix) {
  std::string encoded(prefix);
  encoded += encoding == SignatureEncoding::kLowerHex ? HexEncode(AsBytes(digest))
                                                      : Base64Encode(AsBytes(digest));
  return encoded;
}

bool MatchesAnyDigest(std::span<const std::string_view> candidates,
                      const std::vector<Sha256Digest>& digests, SignatureEncoding encoding,
                      std::string_view prefix) {
  bool matched = false;
  for (const Sha256Digest& digest : digests) {
    std::string expected = EncodeSignature(digest, encoding, prefix);
    for (std::string_view candidate : candidates) {
      // No early exit: the time taken does not tell which entry or secret matched.
      matched = ConstantTimeEquals(candidate, expected) || matched;
    }
  }
  return matched;
}

}  // namespace hookfence::providers
