#include "src/providers/generic_hmac.h"

#include <optional>
#include <string>
#include <vector>

#include "src/providers/encoding.h"
#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/signature_match.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

class GenericHmacProvider final : public Provider {
 public:
  GenericHmacProvider(std::vector<HmacKey> keys, const ProviderConfig& config)
      : keys_(std::move(keys)),
        signature_header_(config.signature_header),
        encoding_(config.encoding == "hex" ? SignatureEncoding::kLowerHex
                                           : SignatureEncoding::kBase64),
        prefix_(config.prefix),
        id_header_(config.id_header) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    (void)now;  // the generic scheme signs no timestamp
    std::string_view name = signature_header_;
    HeaderLookup header = LookupHeader(headers, name);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    std::string_view signature = header.value;
    if (!signature.starts_with(prefix_)) {
      return BadSignature(signature_header_ + " does not start with the configured prefix");
    }
    signature.remove_prefix(prefix_.size());
    std::optional<std::string> received =
        encoding_ == SignatureEncoding::kLowerHex ? HexDecode(signature) : Base64Decode(signature);
    if (!received || received->size() != kSha256Bytes) {
      return BadSignature(signature_header_ + " is not a " +
                          (encoding_ == SignatureEncoding::kLowerHex ? "hex" : "base64") +
                          " HMAC-SHA256");
    }
    bool matched = false;
    for (const Sha256Digest& digest : SignEach(keys_, {body})) {
      matched = ConstantTimeEquals(*received, AsBytes(digest)) || matched;
    }
    if (!matched) {
      return BadSignature(signature_header_ + " does not match a configured secret");
    }
    return ValidVerdict();
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)body;
    std::string_view name = id_header_;
    return EventIdFromHeader(headers, name);
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)now;
    return {{"Content-Type", "application/json"},
            {id_header_, std::string(event_id)},
            {signature_header_, EncodeSignature(keys_.front().Sign({body}), encoding_, prefix_)}};
  }

 private:
  std::vector<HmacKey> keys_;
  std::string signature_header_;
  SignatureEncoding encoding_;
  std::string prefix_;
  std::string id_header_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeGenericHmacProvider(const ProviderConfig& config) {
  if (config.encoding != "hex" && config.encoding != "base64") {
    return InvalidArgumentError("hmac encoding must be hex or base64, not \"" + config.encoding +
                                "\"");
  }
  if (config.signature_header.empty()) {
    return InvalidArgumentError("hmac signature_header must not be empty");
  }
  if (config.id_header.empty()) {
    return InvalidArgumentError("hmac id_header must not be empty");
  }
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<GenericHmacProvider>(std::move(keys), config));
}

}  // namespace hookfence::providers
