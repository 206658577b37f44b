#include "src/providers/standard_webhooks.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "src/providers/encoding.h"
#include "src/providers/event_id.h"
#include "src/providers/header_lookup.h"
#include "src/providers/hmac_sha256.h"
#include "src/providers/signature_match.h"
#include "src/providers/signed_timestamp.h"
#include "src/providers/verdicts.h"

namespace hookfence::providers {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

// Each header's names in lookup order; the first is the one Sign sends.
struct HeaderNames {
  std::span<const std::string_view> id;
  std::span<const std::string_view> timestamp;
  std::span<const std::string_view> signature;
};

constexpr std::array<std::string_view, 2> kIdNames = {"svix-id", "webhook-id"};
constexpr std::array<std::string_view, 2> kTimestampNames = {"svix-timestamp", "webhook-timestamp"};
constexpr std::array<std::string_view, 2> kSignatureNames = {"svix-signature", "webhook-signature"};
// Standard Webhooks reads only its own names; Svix's library falls back to them per header.
constexpr HeaderNames kStandardHeaders = {std::span(kIdNames).subspan(1),
                                          std::span(kTimestampNames).subspan(1),
                                          std::span(kSignatureNames).subspan(1)};
constexpr HeaderNames kSvixHeaders = {kIdNames, kTimestampNames, kSignatureNames};

class StandardWebhooksProvider final : public Provider {
 public:
  StandardWebhooksProvider(HeaderNames names, std::vector<HmacKey> keys, Duration tolerance)
      : names_(names), keys_(std::move(keys)), tolerance_(tolerance) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    HeaderLookup id = LookupHeader(headers, names_.id);
    if (id.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(id);
    }
    HeaderLookup timestamp = LookupHeader(headers, names_.timestamp);
    if (timestamp.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(timestamp);
    }
    HeaderLookup signature = LookupHeader(headers, names_.signature);
    if (signature.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(signature);
    }
    std::optional<std::int64_t> signed_at = ParseUnixSeconds(timestamp.value);
    if (!signed_at) {
      return BadSignature(std::string(timestamp.name) + " is not a Unix timestamp");
    }
    std::vector<std::string_view> candidates;
    std::string_view rest = signature.value;
    while (!rest.empty()) {
      std::string_view entry = rest.substr(0, rest.find(' '));
      rest.remove_prefix(std::min(rest.size(), entry.size() + 1));
      std::size_t comma = entry.find(',');
      if (comma != std::string_view::npos && entry.substr(0, comma) == "v1") {
        candidates.push_back(entry.substr(comma + 1));
      }
    }
    if (candidates.empty()) {
      return BadSignature(std::string(signature.name) + " has no v1 signature");
    }
    if (!MatchesAnyDigest(candidates, SignEach(keys_, {id.value, ".", timestamp.value, ".", body}),
                          SignatureEncoding::kBase64)) {
      return BadSignature("no v1 signature matches a configured secret");
    }
    return FreshnessVerdict(now, *signed_at, tolerance_);
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)body;
    return EventIdFromHeader(headers, names_.id);
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    std::string timestamp = std::to_string(UnixSeconds(now));
    Sha256Digest digest = keys_.front().Sign({event_id, ".", timestamp, ".", body});
    return {{"Content-Type", "application/json"},
            {std::string(names_.id.front()), std::string(event_id)},
            {std::string(names_.timestamp.front()), timestamp},
            {std::string(names_.signature.front()),
             EncodeSignature(digest, SignatureEncoding::kBase64, "v1,")}};
  }

 private:
  HeaderNames names_;
  std::vector<HmacKey> keys_;
  Duration tolerance_;
};

// The key is the base64 part of whsec_<base64>. The prefix is optional, as in both official
// libraries; the base64 is not (a secret that does not decode was mistyped or truncated).
Result<std::vector<HmacKey>> DecodeSecrets(const ProviderConfig& config) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < config.secrets.size(); ++i) {
    std::string_view secret = config.secrets[i];
    if (secret.starts_with(kSecretPrefix)) {
      secret.remove_prefix(kSecretPrefix.size());
    }
    std::optional<std::string> key = Base64Decode(secret);
    if (!key || key->empty()) {
      return InvalidArgumentError("secrets[" + std::to_string(i) + "] is not whsec_<base64> (" +
                                  config.provider + " secrets are base64 after the whsec_ prefix)");
    }
    keys.push_back(std::move(*key));
  }
  return MakeHmacKeys(keys);
}

Result<std::unique_ptr<Provider>> Make(const ProviderConfig& config, const HeaderNames& names) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, DecodeSecrets(config));
  return std::unique_ptr<Provider>(std::make_unique<StandardWebhooksProvider>(
      names, std::move(keys), ToleranceOr(config.tolerance, std::chrono::seconds(300))));
}

}  // namespace

Result<std::unique_ptr<Provider>> MakeStandardWebhooksProvider(const ProviderConfig& config) {
  return Make(config, kStandardHeaders);
}

Result<std::unique_ptr<Provider>> MakeSvixProvider(const ProviderConfig& config) {
  return Make(config, kSvixHeaders);
}

}  // namespace hookfence::providers
