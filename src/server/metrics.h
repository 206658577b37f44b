// The gateway's counters and histograms, rendered in the Prometheus text format for /metrics.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "hookfence/clock.h"
#include "hookfence/store.h"

namespace hookfence::server {

class Metrics {
 public:
  // One request to a webhook endpoint (or another route: source "-"), its outcome code
  // ("accepted", "duplicate", "bad_signature", ...) and how long it took to answer.
  void CountRequest(std::string_view source, std::string_view outcome, Duration latency);

  // The Prometheus exposition of every metric; `store` and `queue_depth` are read by the caller
  // at scrape time.
  std::string Render(const StoreStats& store, std::uint64_t queue_depth) const;

  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 13> kLatencyBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;
  std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> latency_buckets_{};
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_micros_{0};
};

}  // namespace hookfence::server
