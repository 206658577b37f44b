#include "src/providers/paddle.h"

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

constexpr std::string_view kSignatureHeader = "Paddle-Signature";

class PaddleProvider final : public Provider {
 public:
  PaddleProvider(std::vector<HmacKey> keys, Duration tolerance)
      : keys_(std::move(keys)), tolerance_(tolerance) {}

  Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const override {
    HeaderLookup header = LookupHeader(headers, kSignatureHeader);
    if (header.kind != HeaderLookup::Kind::kFound) {
      return HeaderProblem(header);
    }
    // Parts are key=value separated by ';' (not ',' as in Stripe's header).
    std::string_view timestamp;
    int timestamps = 0;
    std::vector<std::string_view> signatures;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      std::string_view part = rest.substr(0, rest.find(';'));
      rest.remove_prefix(std::min(rest.size(), part.size() + 1));
      std::size_t equals = part.find('=');
      if (equals == std::string_view::npos) {
        continue;
      }
      std::string_view key = part.substr(0, equals);
      if (key == "ts") {
        timestamp = part.substr(equals + 1);
        ++timestamps;
      } else if (key == "h1") {
        signatures.push_back(part.substr(equals + 1));
      }
    }
    if (timestamps != 1) {
      return BadSignature(timestamps == 0 ? "Paddle-Signature has no ts= part"
                                          : "Paddle-Signature has more than one ts= part");
    }
    if (signatures.empty()) {
      return BadSignature("Paddle-Signature has no h1= signature");
    }
    std::optional<std::int64_t> signed_at = ParseUnixSeconds(timestamp);
    if (!signed_at) {
      return BadSignature("Paddle-Signature ts= is not a Unix timestamp");
    }
    if (!MatchesAnyDigest(signatures, SignEach(keys_, {timestamp, ":", body}),
                          SignatureEncoding::kLowerHex)) {
      return BadSignature("no h1 signature matches a configured secret");
    }
    if (!WithinTolerance(now, *signed_at, tolerance_)) {
      return StaleTimestamp(DescribeSkew(now, *signed_at, tolerance_));
    }
    return ValidVerdict();
  }

  EventIdResult EventId(const Headers& headers, std::string_view body) const override {
    (void)headers;
    return EventIdFromJsonBody(body, "event_id");
  }

  Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const override {
    (void)event_id;  // Paddle's id lives in the body
    std::string ts = std::to_string(UnixSeconds(now));
    return {{"Content-Type", "application/json"},
            {std::string(kSignatureHeader), "ts=" + ts + ";h1=" +
                                                EncodeSignature(keys_.front().Sign({ts, ":", body}),
                                                                SignatureEncoding::kLowerHex)}};
  }

 private:
  std::vector<HmacKey> keys_;
  Duration tolerance_;
};

}  // namespace

Result<std::unique_ptr<Provider>> MakePaddleProvider(const ProviderConfig& config) {
  HF_ASSIGN_OR_RETURN(std::vector<HmacKey> keys, MakeHmacKeys(config.secrets));
  return std::unique_ptr<Provider>(std::make_unique<PaddleProvider>(
      std::move(keys), ToleranceOr(config.tolerance, std::chrono::seconds(5))));
}

}  // namespace hookfence::providers
