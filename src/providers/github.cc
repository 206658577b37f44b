#include "src/providers/github.h"

#include <string>
#include <vector>

#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/signature_match.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

constexpr std::string_view kSignatureHeader = "X-Hub-Signature-256";
constexpr std::string_view kDeliveryHeader = "X-GitHub-Delivery";
constexpr std::string_view kPrefix = "sha256=";

class GithubProvider final : public Provider {
 public:
  explicit GithubProvider(std::vector<HmacKey> keys) : keys_(std::move(keys)) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    (void)now;  // GitHub signs no timestamp
    HeaderLookup header = LookupHeader(headers, kSignatureHeader);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    std::string_view signature = header.value;
    if (!MatchesAnyDigest({&signature, 1}, SignEach(keys_, {body}), SignatureEncoding::kLowerHex,
                          kPrefix)) {
      return BadSignature("X-Hub-Signature-256 does not match a configured secret");
    }
    return ValidVerdict();
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)body;
    return EventIdFromHeader(headers, kDeliveryHeader);
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)now;
    return {{"Content-Type", "application/json"},
            {std::string(kDeliveryHeader), std::string(event_id)},
            {std::string(kSignatureHeader),
             EncodeSignature(keys_.front().Sign({body}), SignatureEncoding::kLowerHex, kPrefix)}};
  }

 private:
  std::vector<HmacKey> keys_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeGithubProvider(const ProviderConfig& config) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<GithubProvider>(std::move(keys)));
}

}  // namespace hookfence::providers
