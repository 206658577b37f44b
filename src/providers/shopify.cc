#include "src/providers/shopify.h"

#include <array>
#include <string>
#include <vector>

#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/signature_match.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

constexpr std::array<std::string_view, 2> kSignatureHeaders = {"X-Shopify-Hmac-Sha256",
                                                               "Shopify-Hmac-Sha256"};
constexpr std::array<std::string_view, 2> kEventIdHeaders = {"X-Shopify-Event-Id",
                                                             "Shopify-Event-Id"};

class ShopifyProvider final : public Provider {
 public:
  explicit ShopifyProvider(std::vector<HmacKey> keys) : keys_(std::move(keys)) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    (void)now;  // Shopify signs no timestamp
    HeaderLookup header = LookupHeader(headers, kSignatureHeaders);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    std::string_view signature = header.value;
    if (!MatchesAnyDigest({&signature, 1}, SignEach(keys_, {body}), SignatureEncoding::kBase64)) {
      return BadSignature(std::string(header.name) + " does not match a configured secret");
    }
    return ValidVerdict();
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)body;
    return EventIdFromHeader(headers, kEventIdHeaders);
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)now;
    return {{"Content-Type", "application/json"},
            {std::string(kEventIdHeaders.front()), std::string(event_id)},
            {std::string(kSignatureHeaders.front()),
             EncodeSignature(keys_.front().Sign({body}), SignatureEncoding::kBase64)}};
  }

 private:
  std::vector<HmacKey> keys_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeShopifyProvider(const ProviderConfig& config) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<ShopifyProvider>(std::move(keys)));
}

}  // namespace hookfence::providers
