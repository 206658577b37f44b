#include "src/providers/razorpay.h"

#include <string>
#include <vector>

#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/signature_match.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

constexpr std::string_view kSignatureHeader = "X-Razorpay-Signature";
constexpr std::string_view kEventIdHeader = "X-Razorpay-Event-Id";

class RazorpayProvider final : public Provider {
 public:
  explicit RazorpayProvider(std::vector<HmacKey> keys) : keys_(std::move(keys)) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    (void)now;  // Razorpay signs no timestamp
    HeaderLookup header = LookupHeader(headers, kSignatureHeader);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    std::string_view signature = header.value;
    if (!MatchesAnyDigest({&signature, 1}, SignEach(keys_, {body}), SignatureEncoding::kLowerHex)) {
      return BadSignature("X-Razorpay-Signature does not match a configured secret");
    }
    return ValidVerdict();
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)body;
    return EventIdFromHeader(headers, kEventIdHeader);
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)now;
    return {{"Content-Type", "application/json"},
            {std::string(kEventIdHeader), std::string(event_id)},
            {std::string(kSignatureHeader),
             EncodeSignature(keys_.front().Sign({body}), SignatureEncoding::kLowerHex)}};
  }

 private:
  std::vector<HmacKey> keys_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeRazorpayProvider(const ProviderConfig& config) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<RazorpayProvider>(std::move(keys)));
}

}  // namespace hookfence::providers
