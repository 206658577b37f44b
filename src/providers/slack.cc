#include "src/providers/slack.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/core/json_quote.h"
#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/json_fields.h"
#include "src/providers/signature_match.h"
#include "src/providers/signed_timestamp.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

constexpr std::string_view kSignatureHeader = "X-Slack-Signature";
constexpr std::string_view kTimestampHeader = "X-Slack-Request-Timestamp";
constexpr std::string_view kVersion = "v0";

class SlackProvider final : public Provider {
 public:
  SlackProvider(std::vector<HmacKey> keys, Duration tolerance)
      : keys_(std::move(keys)), tolerance_(tolerance) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    HeaderLookup signature = LookupHeader(headers, kSignatureHeader);
    if (signature.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(signature);
    }
    HeaderLookup timestamp = LookupHeader(headers, kTimestampHeader);
    if (timestamp.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(timestamp);
    }
    std::optional<std::int64_t> signed_at = ParseUnixSeconds(timestamp.value);
    if (!signed_at) {
      return BadSignature("X-Slack-Request-Timestamp is not a Unix timestamp");
    }
    std::string_view candidate = signature.value;
    if (!MatchesAnyDigest({&candidate, 1},
                          SignEach(keys_, {kVersion, ":", timestamp.value, ":", body}),
                          SignatureEncoding::kLowerHex, "v0=")) {
      return BadSignature("X-Slack-Signature does not match a configured secret");
    }
    return FreshnessVerdict(now, *signed_at, tolerance_);
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    if (MediaType(headers) == "application/x-www-form-urlencoded") {
      EventIdResult result;
      result.kind = EventIdResult::Kind::kMissing;
      result.message =
          "Slack form posts (slash commands, interactivity) carry no event id; only Events API "
          "deliveries can be deduplicated";
      return result;
    }
    return EventIdFromJsonBody(body, "event_id");
  }

  std::optional<std::string> Handshake(const Headers& headers,
                                       std::string_view body) const override {
    (void)headers;
    constexpr std::array<std::string_view, 2> kNames = {"type", "challenge"};
    std::array<JsonField, 2> fields;
    if (!ReadTopLevelFields(body, kNames, fields).ok()) {
      return std::nullopt;
    }
    const JsonField& type = fields[0];
    const JsonField& challenge = fields[1];
    // Anything ambiguous is not answered: it falls through to EventId and is refused there.
    if (type.count != 1 || type.kind != JsonField::Kind::kString ||
        type.value != "url_verification" || challenge.count != 1 ||
        challenge.kind != JsonField::Kind::kString) {
      return std::nullopt;
    }
    return "{\"challenge\":" + internal::JsonQuote(challenge.value) + "}";
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)event_id;  // Slack's id lives in the body
    std::string timestamp = std::to_string(UnixSeconds(now));
    return {{"Content-Type", "application/json"},
            {std::string(kTimestampHeader), timestamp},
            {std::string(kSignatureHeader),
             EncodeSignature(keys_.front().Sign({kVersion, ":", timestamp, ":", body}),
                             SignatureEncoding::kLowerHex, "v0=")}};
  }

 private:
  std::vector<HmacKey> keys_;
  Duration tolerance_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeSlackProvider(const ProviderConfig& config) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<SlackProvider>(
      std::move(keys), ToleranceOr(config.tolerance, std::chrono::seconds(300))));
}

}  // namespace hookfence::providers
