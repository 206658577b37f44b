#include "src/server/metrics.h"

#include <algorithm>
#include <cstdio>

namespace hookfence::server {

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

double Seconds(Duration duration) {
  return static_cast<double>(std::max<Duration::rep>(0, duration.count())) / 1e6;
}

void Help(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  *out += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
  *out += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
}

void RenderCounters(std::string_view name,
                    const std::map<std::pair<std::string, std::string>, std::uint64_t>& counters,
                    std::string* out) {
  for (const auto& [labels, count] : counters) {
    *out += std::string(name) + "{source=\"" + LabelValue(labels.first) + "\",outcome=\"" +
            LabelValue(labels.second) + "\"} " + std::to_string(count) + "\n";
  }
}

}  // namespace

template <std::size_t N>
void Metrics::Histogram<N>::Observe(const std::array<double, N>& bounds, double value) {
  const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), value);
  buckets[static_cast<std::size_t>(bucket - bounds.begin())].fetch_add(1);
  count.fetch_add(1);
  double old = sum.load();
  while (!sum.compare_exchange_weak(old, old + value)) {
  }
}

template <std::size_t N>
void Metrics::Histogram<N>::Render(std::string_view name, const std::array<double, N>& bounds,
                                   std::string* out) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= N; ++i) {
    cumulative += buckets[i].load();
    const std::string le = i < N ? Number(bounds[i]) : "+Inf";
    *out += std::string(name) + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += std::string(name) + "_sum " + Number(sum.load()) + "\n";
  *out += std::string(name) + "_count " + std::to_string(count.load()) + "\n";
}

void Metrics::CountRequest(std::string_view source, std::string_view outcome, Duration latency) {
  {
    std::lock_guard lock(mu_);
    ++requests_[{std::string(source), std::string(outcome)}];
  }
  request_latency_.Observe(kLatencyBounds, Seconds(latency));
}

void Metrics::CountDelivery(std::string_view source, std::string_view outcome) {
  std::lock_guard lock(mu_);
  ++deliveries_[{std::string(source), std::string(outcome)}];
}

void Metrics::ObserveDelivery(std::uint32_t attempts, Duration latency) {
  attempts_.Observe(kAttemptBounds, static_cast<double>(attempts));
  delivery_latency_.Observe(kLatencyBounds, Seconds(latency));
}

std::string Metrics::Render(const StoreStats& store, std::uint64_t queue_depth,
                            const DeliveryGauges& delivery,
                            const std::vector<LoopGauge>& loops) const {
  std::string out;
  Help(&out, "hookfence_requests_total", "counter",
       "Webhook requests answered, by source and outcome.");
  {
    std::lock_guard lock(mu_);
    RenderCounters("hookfence_requests_total", requests_, &out);
  }
  Help(&out, "hookfence_request_duration_seconds", "histogram",
       "Time from a request read to its answer.");
  request_latency_.Render("hookfence_request_duration_seconds", kLatencyBounds, &out);

  Help(&out, "hookfence_store_batch_size", "histogram", "Operations per store group commit.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < store.batch_sizes.size(); ++i) {
    cumulative += store.batch_sizes[i];
    const auto bound = StoreStats::kBatchSizeBounds[i];
    const std::string le = bound == UINT64_MAX ? "+Inf" : std::to_string(bound);
    out +=
        "hookfence_store_batch_size_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "hookfence_store_batch_size_sum " + std::to_string(store.batched_operations) + "\n";
  out += "hookfence_store_batch_size_count " + std::to_string(store.batches) + "\n";

  Help(&out, "hookfence_store_queue_depth", "gauge", "Store operations waiting to run.");
  out += "hookfence_store_queue_depth " + std::to_string(queue_depth) + "\n";

  Help(&out, "hookfence_io_loop_lag_seconds", "gauge",
       "How late each I/O thread's loop ran at its latest tick (while requests arrive).");
  for (std::size_t i = 0; i < loops.size(); ++i) {
    out += "hookfence_io_loop_lag_seconds{loop=\"" + std::to_string(i) + "\"} " +
           Number(Seconds(loops[i].lag)) + "\n";
  }
  Help(&out, "hookfence_io_loop_refused_share", "gauge",
       "Share of webhooks each I/O thread answers 429 overloaded because its loop runs late.");
  for (std::size_t i = 0; i < loops.size(); ++i) {
    out += "hookfence_io_loop_refused_share{loop=\"" + std::to_string(i) + "\"} " +
           Number(loops[i].refused_share) + "\n";
  }

  Help(&out, "hookfence_deliveries_total", "counter",
       "Delivery attempts and other dispatcher verdicts, by source (destination) and outcome.");
  {
    std::lock_guard lock(mu_);
    RenderCounters("hookfence_deliveries_total", deliveries_, &out);
  }
  Help(&out, "hookfence_delivery_attempts", "histogram",
       "Attempts an event took until it was delivered or went dead.");
  attempts_.Render("hookfence_delivery_attempts", kAttemptBounds, &out);
  Help(&out, "hookfence_delivery_duration_seconds", "histogram",
       "Time of the final attempt's request to the destination.");
  delivery_latency_.Render("hookfence_delivery_duration_seconds", kLatencyBounds, &out);

  Help(&out, "hookfence_dispatcher_held", "gauge",
       "Events this gateway holds leases for (waiting or being delivered).");
  out += "hookfence_dispatcher_held " + std::to_string(delivery.held) + "\n";
  Help(&out, "hookfence_destination_in_flight", "gauge", "Requests running, by source.");
  for (const auto& [source, count] : delivery.in_flight) {
    out += "hookfence_destination_in_flight{source=\"" + LabelValue(source) + "\"} " +
           std::to_string(count) + "\n";
  }
  Help(&out, "hookfence_breaker_state", "gauge",
       "Circuit breaker per source's destination: 0 closed, 1 open, 2 half open.");
  for (const auto& [source, state] : delivery.breakers) {
    out += "hookfence_breaker_state{source=\"" + LabelValue(source) + "\"} " +
           std::to_string(state) + "\n";
  }
  if (delivery.queues) {
    Help(&out, "hookfence_due_events", "gauge",
         "Events waiting in the store for a dispatcher: due now, or scheduled for a retry.");
    out += "hookfence_due_events{when=\"now\"} " + std::to_string(delivery.queues->due) + "\n";
    out +=
        "hookfence_due_events{when=\"later\"} " + std::to_string(delivery.queues->scheduled) + "\n";
    Help(&out, "hookfence_leased_events", "gauge",
         "Events held by some dispatcher (any gateway sharing the store).");
    out += "hookfence_leased_events " + std::to_string(delivery.queues->leased) + "\n";
    Help(&out, "hookfence_dead_letters", "gauge", "DEAD events kept for replay.");
    out += "hookfence_dead_letters " + std::to_string(delivery.queues->dead) + "\n";
  }
  return out;
}

}  // namespace hookfence::server
