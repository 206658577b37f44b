// Fuzzes every provider's signature-header parsing and verification, its event-id extraction and
// its handshake, with the real Verify, a fixed secret per provider and a fixed clock.
//
// Input: one selector byte (the provider, ProviderNames() order modulo their number), then a
// request laid out as in fuzz/fuzz_input.h. The secrets are those of tests/data/
// provider_vectors.json, so the vectors' signed requests are valid seeds.
// Besides "no crash, no sanitizer report", it checks: a Verdict that is not kValid carries a
// message; a kOk event id is a valid event id; the hex and base64 codecs round-trip every header
// value they accept; and a body signed by Sign() verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "hookfence/keys.h"
#include "hookfence/providers.h"
#include "src/providers/encoding.h"
#include "src/providers/signed_timestamp.h"

namespace hookfence::fuzz {
namespace {

// The vectors' "now" (2025-01-01T00:00:00Z).
const Timestamp kNow = FromMicros(1735689600LL * 1000000);

ProviderConfig ConfigFor(std::string_view name) {
  ProviderConfig config;
  config.provider = std::string(name);
  if (name == "stripe") {
    config.secrets = {"whsec_Qk7x2mF9sLp4Rt8vWz1bN6cY3hJ5dG0a"};
  } else if (name == "standard-webhooks") {
    config.secrets = {"whsec_t9ojW8NQ4CXU2mH+1z6CV5OSH+IkfE/VGHqfVr+Xwmg="};
  } else if (name == "svix") {
    config.secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  } else if (name == "github") {
    config.secrets = {"It's a Secret to Everybody", "previous-github-webhook-secret"};
  } else if (name == "razorpay") {
    config.secrets = {"rzp_whsec_My$ecret-Value_2025"};
  } else if (name == "shopify") {
    config.secrets = {"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"};
  } else if (name == "slack") {
    config.secrets = {"8f742231b10e8888abcd99yyyzzz85a5"};
  } else if (name == "paddle") {
    config.secrets = {"pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI"};
  } else if (name == "square") {
    config.secrets = {"Zs7aQ_4mS5r3bW6nL2kP9x"};
    config.notification_url = "https://example.com/webhooks/square";
  } else {
    config.secrets = {"generic-shared-secret-\xc3\xa9\xc3\xa8", "generic-previous-secret"};
  }
  return config;
}

std::vector<std::unique_ptr<Provider>> MakeAll() {
  std::vector<std::unique_ptr<Provider>> all;
  for (std::string_view name : ProviderNames()) {
    auto provider = MakeProvider(ConfigFor(name));
    if (!provider.ok()) std::abort();  // the fixed configurations are valid
    all.push_back(std::move(*provider));
  }
  return all;
}

void CheckCodecs(std::string_view value) {
  if (auto bytes = providers::HexDecode(value)) {
    if (*providers::HexDecode(providers::HexEncode(*bytes)) != *bytes) std::abort();
  }
  if (auto bytes = providers::Base64Decode(value)) {
    if (providers::Base64Encode(*bytes) != value) std::abort();  // canonical only
  }
  if (auto seconds = providers::ParseUnixSeconds(value)) {
    if (*seconds < 0) std::abort();
    (void)providers::WithinTolerance(kNow, *seconds, std::chrono::seconds(300));
    (void)providers::DescribeSkew(kNow, *seconds, std::chrono::seconds(300));
  }
}

}  // namespace
}  // namespace hookfence::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hookfence;
  static const std::vector<std::unique_ptr<Provider>> providers = fuzz::MakeAll();
  if (size == 0) return 0;
  const Provider& provider = *providers[data[0] % providers.size()];
  fuzz::FuzzRequest request = fuzz::SplitRequest(fuzz::AsText(data + 1, size - 1));
  for (const auto& [name, value] : request.headers) fuzz::CheckCodecs(value);

  Verdict verdict = provider.Verify(request.headers, request.body, fuzz::kNow);
  if (verdict.kind != Verdict::Kind::kValid && verdict.message.empty()) std::abort();
  (void)provider.Handshake(request.headers, request.body);
  EventIdResult id = provider.EventId(request.headers, request.body);
  if (id.kind == EventIdResult::Kind::kOk && !ValidateEventId(id.id).ok()) std::abort();

  // Whatever the body, what Sign() produces verifies.
  Headers signed_headers = provider.Sign(request.body, fuzz::kNow, "evt_fuzz_1");
  Verdict own = provider.Verify(signed_headers, request.body, fuzz::kNow);
  if (own.kind != Verdict::Kind::kValid) std::abort();
  return 0;
}
