#include "src/server/gateway_core.h"

#include <algorithm>
#include <thread>

namespace hookfence::server {
namespace {

// Enough blocked callers that a group commit can gather a large batch under load.
std::size_t StoreThreads() {
  return std::max<std::size_t>(64, 16 * std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

GatewayCore::GatewayCore(Clock* clock, Store* store, const Config& config,
                         std::shared_ptr<const Settings> settings,
                         std::shared_ptr<spdlog::logger> log)
    : clock_(clock),
      store_(store, StoreThreads(), config.store.max_pending_writes),
      log_(std::move(log)),
      store_config_(config.store),
      settings_(std::move(settings)) {}

}  // namespace hookfence::server
