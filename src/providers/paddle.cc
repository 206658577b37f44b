#include "src/providers/paddle.h"

#include <chrono>

#include "src/providers/timestamped_header.h"

namespace hookfence::providers {

Result<std::unique_ptr<Provider>> MakePaddleProvider(const ProviderConfig& config) {
  static constexpr TimestampedHeaderScheme kScheme{
      "Paddle-Signature",     ';', "ts", "h1", ":", "event_id", "application/json",
      std::chrono::seconds(5)};
  return MakeTimestampedHeaderProvider(config, kScheme);
}

}  // namespace hookfence::providers
