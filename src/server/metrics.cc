#include "src/server/metrics.h"

#include <algorithm>
#include <cstdio>

namespace hookfence::server {

void Metrics::CountRequest(std::string_view source, std::string_view outcome, Duration latency) {
  {
    std::lock_guard lock(mu_);
    ++requests_[{std::string(source), std::string(outcome)}];
  }
  const double seconds = static_cast<double>(latency.count()) / 1e6;
  const auto bucket = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds);
  latency_buckets_[static_cast<std::size_t>(bucket - kLatencyBounds.begin())].fetch_add(1);
  latency_count_.fetch_add(1);
  latency_sum_micros_.fetch_add(
      static_cast<std::uint64_t>(std::max<long long>(0, latency.count())));
}

namespace {

// A Prometheus label value: backslash, double quote and newline escaped.
std::string LabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

std::string Metrics::Render(const StoreStats& store, std::uint64_t queue_depth) const {
  std::string out;
  out += "# HELP hookfence_requests_total Webhook requests answered, by source and outcome.\n";
  out += "# TYPE hookfence_requests_total counter\n";
  {
    std::lock_guard lock(mu_);
    for (const auto& [labels, count] : requests_) {
      out += "hookfence_requests_total{source=\"" + LabelValue(labels.first) + "\",outcome=\"" +
             LabelValue(labels.second) + "\"} " + std::to_string(count) + "\n";
    }
  }
  out += "# HELP hookfence_request_duration_seconds Time from a request read to its answer.\n";
  out += "# TYPE hookfence_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kLatencyBounds.size(); ++i) {
    cumulative += latency_buckets_[i].load();
    const std::string le = i < kLatencyBounds.size() ? Number(kLatencyBounds[i]) : "+Inf";
    out += "hookfence_request_duration_seconds_bucket{le=\"" + le + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += "hookfence_request_duration_seconds_sum " +
         Number(static_cast<double>(latency_sum_micros_.load()) / 1e6) + "\n";
  out += "hookfence_request_duration_seconds_count " + std::to_string(latency_count_.load()) + "\n";

  out += "# HELP hookfence_store_batch_size Operations per store group commit.\n";
  out += "# TYPE hookfence_store_batch_size histogram\n";
  cumulative = 0;
  for (std::size_t i = 0; i < store.batch_sizes.size(); ++i) {
    cumulative += store.batch_sizes[i];
    const auto bound = StoreStats::kBatchSizeBounds[i];
    const std::string le = bound == UINT64_MAX ? "+Inf" : std::to_string(bound);
    out +=
        "hookfence_store_batch_size_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "hookfence_store_batch_size_sum " + std::to_string(store.batched_operations) + "\n";
  out += "hookfence_store_batch_size_count " + std::to_string(store.batches) + "\n";

  out += "# HELP hookfence_store_queue_depth Store operations waiting to run.\n";
  out += "# TYPE hookfence_store_queue_depth gauge\n";
  out += "hookfence_store_queue_depth " + std::to_string(queue_depth) + "\n";
  return out;
}

}  // namespace hookfence::server
