#include "src/providers/square.h"

#include <string>
#include <vector>

#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/signature_match.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

constexpr std::string_view kSignatureHeader = "x-square-hmacsha256-signature";

class SquareProvider final : public Provider {
 public:
  SquareProvider(std::vector<HmacKey> keys, std::string notification_url)
      : keys_(std::move(keys)), notification_url_(std::move(notification_url)) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    (void)now;  // Square signs no timestamp
    HeaderLookup header = LookupHeader(headers, kSignatureHeader);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    std::string_view signature = header.value;
    if (!MatchesAnyDigest({&signature, 1}, SignEach(keys_, {notification_url_, body}),
                          SignatureEncoding::kBase64)) {
      return BadSignature(
          "x-square-hmacsha256-signature does not match a configured secret and the configured "
          "notification_url");
    }
    return ValidVerdict();
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)headers;
    return EventIdFromJsonBody(body, "event_id");
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)now;
    (void)event_id;  // Square's id lives in the body
    return {{"Content-Type", "application/json"},
            {std::string(kSignatureHeader),
             EncodeSignature(keys_.front().Sign({notification_url_, body}),
                             SignatureEncoding::kBase64)}};
  }

 private:
  std::vector<HmacKey> keys_;
  std::string notification_url_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeSquareProvider(const ProviderConfig& config) {
  if (config.notification_url.empty()) {
    return InvalidArgumentError(
        "square needs notification_url: the URL exactly as configured in Square, which is part "
        "of the signed bytes");
  }
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(
      std::make_unique<SquareProvider>(std::move(keys), config.notification_url));
}

}  // namespace hookfence::providers
