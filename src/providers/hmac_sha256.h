// HMAC-SHA256 under keys prepared once, when a source is configured.
//
// Each HmacKey holds an OpenSSL EVP_MAC context that was keyed at creation; Sign duplicates it
// (EVP_MAC_CTX_dup) and feeds the message to the copy, so the hot path neither re-fetches the
// algorithm nor re-derives the key pads, and concurrent calls never share mutable state.
// Thread-safety: immutable after Create; Sign may be called from any number of threads at once.
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/result.h"

namespace hookfence::providers {

inline constexpr std::size_t kSha256Bytes = 32;
using Sha256Digest = std::array<unsigned char, kSha256Bytes>;

// The digest's bytes, viewed as characters (for encoding and comparison).
inline std::string_view AsBytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

class HmacKey {
 public:
  // kInvalidArgument for an empty key (an empty HMAC key lets anyone forge a signature);
  // kInternal when OpenSSL cannot provide HMAC-SHA256. The key bytes are not kept elsewhere.
  static Result<HmacKey> Create(std::string_view key);

  // HMAC-SHA256 of the concatenation of `parts`.
  Sha256Digest Sign(std::initializer_list<std::string_view> parts) const;

 private:
  struct ContextDeleter {
    void operator()(EVP_MAC_CTX* context) const;
  };
  explicit HmacKey(EVP_MAC_CTX* keyed) : keyed_(keyed) {}

  std::unique_ptr<EVP_MAC_CTX, ContextDeleter> keyed_;
};

// One key per configured secret, in configuration order (the first one signs); a secret's key is
// its UTF-8 bytes. Errors name the secret's position, never its value.
Result<std::vector<HmacKey>> MakeHmacKeys(const std::vector<std::string>& secrets);

// HMAC-SHA256 of `parts` under each key, in key order.
std::vector<Sha256Digest> SignEach(const std::vector<HmacKey>& keys,
                                   std::initializer_list<std::string_view> parts);

}  // namespace hookfence::providers
