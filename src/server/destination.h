// Destination: one source's delivery runtime — the pooled client to its app, the circuit breaker,
// the rate limiter, the concurrency gate (max_in_flight), the request header builder and the
// retry policy (docs/delivery.md).
//
// Built with the source table, so SIGHUP gives a reloaded source a fresh destination (breaker
// closed, new pool); deliveries already running keep the one they started with until they end.
//
// Waiting: a delivery that may not start yet (gate full, breaker open, rate limit) parks a timer
// with Park(); Finish() and a closing breaker wake parked deliveries, and each parked delivery
// also wakes at its own deadline (its lease margin, the breaker's cool-down, the limiter's wait).
// Thread-safety: every method may be called concurrently.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <mutex>

#include "hookfence/clock.h"
#include "hookfence/result.h"
#include "src/delivery/app_request.h"
#include "src/delivery/circuit_breaker.h"
#include "src/delivery/rate_limiter.h"
#include "src/delivery/retry_policy.h"
#include "src/server/config.h"
#include "src/server/destination_client.h"

namespace hookfence::server {

class Destination {
 public:
  // kInvalidArgument for settings the components refuse (config validation catches them first).
  // `clock` must outlive the destination.
  static Result<std::shared_ptr<Destination>> Create(const SourceConfig& source,
                                                     const Clock* clock);

  DestinationClient& client() { return *client_; }
  delivery::CircuitBreaker& breaker() { return breaker_; }
  delivery::RateLimiter& limiter() { return limiter_; }
  const delivery::AppRequestBuilder& request_builder() const { return builder_; }
  const delivery::RetryOptions& retry() const { return retry_; }
  const DeliveryConfig& config() const { return config_; }

  // Takes a place in the gate if fewer than max_in_flight deliveries run; false otherwise.
  bool TryEnter();
  // Gives the place back and wakes one parked delivery.
  void Leave();
  std::size_t in_flight() const;

  // Parks a delivery's timer until Leave or WakeAll cancels it (or it expires by itself).
  void Park(const std::shared_ptr<boost::asio::steady_timer>& timer);
  // Wakes every parked delivery (the breaker closed, shutdown).
  void WakeAll();

 private:
  Destination(const SourceConfig& source, const Clock* clock,
              std::shared_ptr<DestinationClient> client, delivery::AppRequestBuilder builder);
  // Wakes up to `count` parked deliveries, oldest first.
  void Wake(std::size_t count);

  const DeliveryConfig config_;
  std::shared_ptr<DestinationClient> client_;
  delivery::CircuitBreaker breaker_;
  delivery::RateLimiter limiter_;
  const delivery::AppRequestBuilder builder_;
  delivery::RetryOptions retry_;

  mutable std::mutex mu_;
  std::size_t in_flight_ = 0;
  std::deque<std::weak_ptr<boost::asio::steady_timer>> parked_;
};

}  // namespace hookfence::server
