// The gateway's counters and histograms, rendered in the Prometheus text format for /metrics.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hookfence/clock.h"
#include "hookfence/store.h"

namespace hookfence::server {

class Metrics {
 public:
  // One request to a webhook endpoint (or another route: source "-"), its outcome code
  // ("accepted", "duplicate", "bad_signature", ...) and how long it took to answer.
  void CountRequest(std::string_view source, std::string_view outcome, Duration latency);

  // One delivery attempt's verdict for a source's destination: "delivered", "retry", "dead",
  // "released", "stale_fence", "store_error", "no_source", "order_broken".
  void CountDelivery(std::string_view source, std::string_view outcome);
  // An event's delivery ended (delivered or dead) after `attempts` attempts; `latency` is its
  // last attempt's.
  void ObserveDelivery(std::uint32_t attempts, Duration latency);

  // What the caller reads at scrape time for the delivery gauges.
  struct DeliveryGauges {
    std::uint64_t held = 0;             // events this gateway's dispatcher holds leases for
    std::optional<QueueCounts> queues;  // nullopt when the store did not answer
    std::vector<std::pair<std::string, int>> breakers;  // source -> 0 closed, 1 open, 2 half open
    std::vector<std::pair<std::string, std::size_t>> in_flight;  // source -> requests running
  };

  // One I/O loop's lateness and the share of webhooks it refuses for it (LoopLag).
  struct LoopGauge {
    Duration lag{0};
    double refused_share = 0;
  };

  // The Prometheus exposition of every metric; `store`, `queue_depth`, `delivery` and `loops` are
  // read by the caller at scrape time.
  std::string Render(const StoreStats& store, std::uint64_t queue_depth,
                     const DeliveryGauges& delivery, const std::vector<LoopGauge>& loops) const;

  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 13> kLatencyBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  // Upper bounds of the attempts-per-event buckets.
  static constexpr std::array<double, 8> kAttemptBounds = {1, 2, 3, 4, 6, 8, 12, 20};

  // A cumulative histogram with fixed bounds (lock-free observations).
  template <std::size_t N>
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, N + 1> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> sum{0};
    void Observe(const std::array<double, N>& bounds, double value);
    void Render(std::string_view name, const std::array<double, N>& bounds, std::string* out) const;
  };

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;
  Histogram<kLatencyBounds.size()> request_latency_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> deliveries_;
  Histogram<kAttemptBounds.size()> attempts_;
  Histogram<kLatencyBounds.size()> delivery_latency_;
};

}  // namespace hookfence::server
