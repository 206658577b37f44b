#include "src/providers/stripe.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/signature_match.h"
#include "src/providers/signed_timestamp.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

constexpr std::string_view kSignatureHeader = "Stripe-Signature";

class StripeProvider final : public Provider {
 public:
  StripeProvider(std::vector<HmacKey> keys, Duration tolerance)
      : keys_(std::move(keys)), tolerance_(tolerance) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    HeaderLookup header = LookupHeader(headers, kSignatureHeader);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    // Elements are key=value separated by ','. During a secret roll Stripe sends one v1 per
    // active secret; v0 (test-mode legacy) and unknown schemes are ignored, as stripe-node does.
    std::string_view timestamp;
    int timestamps = 0;
    std::vector<std::string_view> signatures;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      std::string_view element = rest.substr(0, rest.find(','));
      rest.remove_prefix(std::min(rest.size(), element.size() + 1));
      std::size_t equals = element.find('=');
      if (equals == std::string_view::npos) {
        continue;
      }
      std::string_view key = element.substr(0, equals);
      if (key == "t") {
        timestamp = element.substr(equals + 1);
        ++timestamps;
      } else if (key == "v1") {
        signatures.push_back(element.substr(equals + 1));
      }
    }
    if (timestamps != 1) {
      return BadSignature(timestamps == 0 ? "Stripe-Signature has no t= element"
                                          : "Stripe-Signature has more than one t= element");
    }
    if (signatures.empty()) {
      return BadSignature("Stripe-Signature has no v1= signature");
    }
    std::optional<std::int64_t> signed_at = ParseUnixSeconds(timestamp);
    if (!signed_at) {
      return BadSignature("Stripe-Signature t= is not a Unix timestamp");
    }
    if (!MatchesAnyDigest(signatures, SignEach(keys_, {timestamp, ".", body}),
                          SignatureEncoding::kLowerHex)) {
      return BadSignature("no v1 signature matches a configured secret");
    }
    if (!WithinTolerance(now, *signed_at, tolerance_)) {
      return StaleTimestamp(DescribeSkew(now, *signed_at, tolerance_));
    }
    return ValidVerdict();
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)headers;
    return EventIdFromJsonBody(body, "id");
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)event_id;  // Stripe's id lives in the body
    std::string t = std::to_string(UnixSeconds(now));
    std::string signature =
        EncodeSignature(keys_.front().Sign({t, ".", body}), SignatureEncoding::kLowerHex);
    return {{"Content-Type", "application/json; charset=utf-8"},
            {std::string(kSignatureHeader), "t=" + t + ",v1=" + signature}};
  }

 private:
  std::vector<HmacKey> keys_;
  Duration tolerance_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeStripeProvider(const ProviderConfig& config) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<StripeProvider>(
      std::move(keys), ToleranceOr(config.tolerance, std::chrono::seconds(300))));
}

}  // namespace hookfence::providers
