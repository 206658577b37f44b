// ConstantTimeEquals (declared in hookfence/providers.h).
#include <openssl/crypto.h>

#include "hookfence/providers.h"

namespace hookfence {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length is not secret (every signature of a scheme has the same one); the content is.
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hookfence
