#include "src/providers/stripe.h"

#include <chrono>

#include "src/providers/timestamped_header.h"

namespace hookfence::providers {

Result<std::unique_ptr<Provider>> MakeStripeProvider(const ProviderConfig& config) {
  static constexpr TimestampedHeaderScheme kScheme{
      "Stripe-Signature",       ',', "t", "v1", ".", "id", "application/json; charset=utf-8",
      std::chrono::seconds(300)};
  return MakeTimestampedHeaderProvider(config, kScheme);
}

}  // namespace hookfence::providers
