#include "src/providers/hmac_sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string>

namespace hookfence::providers {
namespace {

// Fetched once per process: fetching walks OpenSSL's provider tables under a lock. Never freed,
// because keys may outlive any static destructor order we could choose.
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return mac;
}

}  // namespace

void HmacKey::ContextDeleter::operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }

Result<HmacKey> HmacKey::Create(std::string_view key) {
  if (key.empty()) {
    return InvalidArgumentError("an HMAC key must not be empty");
  }
  EVP_MAC* mac = HmacAlgorithm();
  if (mac == nullptr) {
    return InternalError("OpenSSL provides no HMAC");
  }
  std::unique_ptr<EVP_MAC_CTX, ContextDeleter> context(EVP_MAC_CTX_new(mac));
  if (context == nullptr) {
    return InternalError("EVP_MAC_CTX_new failed");
  }
  char digest_name[] = OSSL_DIGEST_NAME_SHA2_256;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(context.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    return InternalError("OpenSSL cannot key HMAC-SHA256");
  }
  return HmacKey(context.release());
}

Sha256Digest HmacKey::Sign(std::initializer_list<std::string_view> parts) const {
  // Duplicating the keyed context only reads it, so concurrent Sign calls are safe.
  std::unique_ptr<EVP_MAC_CTX, ContextDeleter> context(EVP_MAC_CTX_dup(keyed_.get()));
  HF_CHECK(context != nullptr);
  for (std::string_view part : parts) {
    if (!part.empty()) {
      HF_CHECK(EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(part.data()),
                              part.size()) == 1);
    }
  }
  Sha256Digest digest{};
  std::size_t length = 0;
  HF_CHECK(EVP_MAC_final(context.get(), digest.data(), &length, digest.size()) == 1);
  HF_CHECK(length == digest.size());
  return digest;
}

Result<std::vector<HmacKey>> MakeHmacKeys(const std::vector<std::string>& secrets) {
  std::vector<HmacKey> keys;
  keys.reserve(secrets.size());
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    Result<HmacKey> key = HmacKey::Create(secrets[i]);
    if (!key.ok()) {
      return Status(key.status().code(),
                    "secrets[" + std::to_string(i) + "]: " + key.status().message());
    }
    keys.push_back(std::move(key).value());
  }
  return keys;
}

std::vector<Sha256Digest> SignEach(const std::vector<HmacKey>& keys,
                                   std::initializer_list<std::string_view> parts) {
  std::vector<Sha256Digest> digests;
  digests.reserve(keys.size());
  for (const HmacKey& key : keys) {
    digests.push_back(key.Sign(parts));
  }
  return digests;
}

}  // namespace hookfence::providers
