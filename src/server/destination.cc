#include "src/server/destination.h"

#include <boost/asio/post.hpp>

namespace hookfence::server {

namespace asio = boost::asio;

Result<std::shared_ptr<Destination>> Destination::Create(const SourceConfig& source,
                                                         const Clock* clock) {
  const DeliveryConfig& config = source.delivery;
  DestinationOptions options;
  options.url = source.destination;
  options.connect_timeout = config.connect_timeout;
  options.response_timeout = config.response_timeout;
  options.verify_tls = config.verify_tls;
  options.ca_file = config.ca_file;
  options.max_response_bytes = config.max_response_bytes;
  options.max_idle_connections = static_cast<std::size_t>(config.max_in_flight);
  HF_ASSIGN_OR_RETURN(std::shared_ptr<DestinationClient> client,
                      DestinationClient::Create(std::move(options)));
  HF_ASSIGN_OR_RETURN(
      delivery::AppRequestBuilder builder,
      delivery::AppRequestBuilder::Create(delivery::AppRequestOptions{
          .static_headers = config.headers, .signing_secret = config.signing_secret}));
  delivery::CircuitBreakerOptions breaker{.failure_threshold = config.breaker_failures,
                                          .cool_down = config.breaker_cool_down,
                                          .max_cool_down = config.breaker_max_cool_down};
  HF_RETURN_IF_ERROR(delivery::ValidateCircuitBreakerOptions(breaker));
  HF_RETURN_IF_ERROR(
      delivery::ValidateRateLimiterOptions({.max_per_second = config.max_per_second}));
  auto destination = std::shared_ptr<Destination>(
      new Destination(source, clock, std::move(client), std::move(builder)));
  HF_RETURN_IF_ERROR(delivery::ValidateRetryOptions(destination->retry_));
  return destination;
}

Destination::Destination(const SourceConfig& source, const Clock* clock,
                         std::shared_ptr<DestinationClient> client,
                         delivery::AppRequestBuilder builder)
    : config_(source.delivery),
      client_(std::move(client)),
      breaker_(clock, {.failure_threshold = config_.breaker_failures,
                       .cool_down = config_.breaker_cool_down,
                       .max_cool_down = config_.breaker_max_cool_down}),
      limiter_(clock, {.max_per_second = config_.max_per_second}),
      builder_(std::move(builder)) {
  retry_.max_attempts = config_.max_attempts;
  retry_.retry_4xx = config_.retry_4xx;
  retry_.backoff = {.base = config_.backoff_base,
                    .cap = config_.backoff_max,
                    .max_retry_after = config_.max_retry_after};
}

bool Destination::TryEnter() {
  std::lock_guard lock(mu_);
  if (in_flight_ >= static_cast<std::size_t>(config_.max_in_flight)) return false;
  ++in_flight_;
  return true;
}

void Destination::Leave() {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  Wake(1);
}

std::size_t Destination::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

void Destination::Park(const std::shared_ptr<asio::steady_timer>& timer) {
  std::lock_guard lock(mu_);
  parked_.push_back(timer);
}

void Destination::WakeAll() { Wake(SIZE_MAX); }

void Destination::Wake(std::size_t count) {
  std::vector<std::shared_ptr<asio::steady_timer>> woken;
  {
    std::lock_guard lock(mu_);
    while (!parked_.empty() && woken.size() < count) {
      // A parked delivery that already woke by itself has dropped its timer: skip it.
      if (auto timer = parked_.front().lock()) woken.push_back(std::move(timer));
      parked_.pop_front();
    }
  }
  for (auto& timer : woken) {
    // A timer may only be touched on its own executor (the delivery's strand).
    asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
}

}  // namespace hookfence::server
