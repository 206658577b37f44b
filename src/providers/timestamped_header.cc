#include "src/providers/timestamped_header.h"

#include <algorithm>
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

class TimestampedHeaderProvider final : public Provider {
 public:
  TimestampedHeaderProvider(std::vector<HmacKey> keys, Duration tolerance,
                            const TimestampedHeaderScheme& scheme)
      : keys_(std::move(keys)), tolerance_(tolerance), scheme_(scheme) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    HeaderLookup header = LookupHeader(headers, scheme_.header);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    std::string_view timestamp;
    int timestamps = 0;
    std::vector<std::string_view> signatures;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      std::string_view part = rest.substr(0, rest.find(scheme_.separator));
      rest.remove_prefix(std::min(rest.size(), part.size() + 1));
      std::size_t equals = part.find('=');
      if (equals == std::string_view::npos) {
        continue;
      }
      std::string_view key = part.substr(0, equals);
      if (key == scheme_.timestamp_key) {
        timestamp = part.substr(equals + 1);
        ++timestamps;
      } else if (key == scheme_.signature_key) {
        signatures.push_back(part.substr(equals + 1));
      }
    }
    const std::string name(scheme_.header);
    const std::string ts_key(scheme_.timestamp_key);
    const std::string sig_key(scheme_.signature_key);
    if (timestamps != 1) {
      return BadSignature(name + (timestamps == 0 ? " has no " : " has more than one ") + ts_key +
                          "= part");
    }
    if (signatures.empty()) {
      return BadSignature(name + " has no " + sig_key + "= signature");
    }
    std::optional<std::int64_t> signed_at = ParseUnixSeconds(timestamp);
    if (!signed_at) {
      return BadSignature(name + " " + ts_key + "= is not a Unix timestamp");
    }
    if (!MatchesAnyDigest(signatures, SignEach(keys_, {timestamp, scheme_.joiner, body}),
                          SignatureEncoding::kLowerHex)) {
      return BadSignature("no " + sig_key + " signature matches a configured secret");
    }
    return FreshnessVerdict(now, *signed_at, tolerance_);
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)headers;
    return EventIdFromJsonBody(body, scheme_.id_field);
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)event_id;  // the id lives in the body
    const std::string ts = std::to_string(UnixSeconds(now));
    const std::string signature = EncodeSignature(keys_.front().Sign({ts, scheme_.joiner, body}),
                                                  SignatureEncoding::kLowerHex);
    return {{"Content-Type", std::string(scheme_.content_type)},
            {std::string(scheme_.header),
             std::string(scheme_.timestamp_key) + "=" + ts + scheme_.separator +
                 std::string(scheme_.signature_key) + "=" + signature}};
  }

 private:
  std::vector<HmacKey> keys_;
  Duration tolerance_;
  TimestampedHeaderScheme scheme_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakeTimestampedHeaderProvider(
    const ProviderConfig& config, const TimestampedHeaderScheme& scheme) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<TimestampedHeaderProvider>(
      std::move(keys), ToleranceOr(config.tolerance, scheme.default_tolerance), scheme));
}

}  // namespace hookfence::providers
