// Dispatcher: delivers the events this gateway holds leases for (DESIGN §2 and §5, async mode).
//
// Events reach it two ways. On the hot path the webhook route reserves room (TryReserve), asks
// Accept for a lease and hands the leased record over in memory (Hand): no polling delay, and no
// other gateway can take it while the lease lives. Off the hot path a poller calls ClaimDue every
// [delivery] poll_interval, or at once when woken, for retries that fell due, events accepted
// while there was no room, replays, and leases that lapsed in a crash.
//
// Each held event becomes one delivery: it waits for its destination (max_in_flight, breaker,
// rate limit) — released back to the store before its lease can lapse — then posts to the app,
// renews its lease while the request runs, and completes or fails the record with its fence. A
// stale fence (the lease lapsed and another claim took over) changes nothing.
//
// Lifecycle: Start spawns the poller; Stop (from a thread that is not an I/O thread) stops
// claiming, releases the leases of deliveries that have not started, and waits up to
// shutdown_grace for those in flight.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>

#include "hookfence/record.h"
#include "src/server/config.h"
#include "src/server/gateway_core.h"

namespace hookfence::server {

// One leased record handed to the dispatcher.
struct DeliveryJob {
  std::string key;
  std::uint64_t fence = 0;
  Timestamp lease_until;
  std::uint32_t attempts = 0;  // finished attempts before this one
  std::string ordering_key;
  Payload payload;
};

class Dispatcher : public std::enable_shared_from_this<Dispatcher> {
 public:
  // `core` must outlive the dispatcher's work (its coroutines hold a reference through it).
  Dispatcher(boost::asio::io_context& ioc, std::shared_ptr<GatewayCore> core,
             DispatcherConfig config, Duration lease);

  void Start();
  // Blocks: see the header comment. Idempotent.
  void Stop();

  // Takes room for one event, for a caller about to Accept with a lease; false when the
  // dispatcher holds max_held events (or is stopping). Every true must be followed by Hand or
  // Unreserve.
  bool TryReserve();
  void Unreserve();
  // Delivers a record leased to this gateway; consumes a reservation.
  void Hand(DeliveryJob job);
  // Claims from the store now instead of at the next poll (records became due).
  void Wake();
  // The store may hold due records this dispatcher had no room for: claim them as room frees.
  void NoteBacklog() { backlog_.store(true); }

  // Events held (waiting or being delivered), not counting room the poller has reserved for a
  // claim in progress.
  std::uint64_t held() const {
    const std::uint64_t reserved = claiming_.load();
    const std::uint64_t held = held_.load();
    return held > reserved ? held - reserved : 0;
  }
  Duration lease() const { return lease_; }

 private:
  class Delivery;
  friend class Delivery;

  boost::asio::awaitable<void> Poll(std::shared_ptr<Dispatcher> self);
  void Spawn(DeliveryJob job);
  // A delivery ended (whatever the outcome): frees its room.
  void Done(bool unblocks_successors);
  // Gives back `count` places of room (and tells a waiting Stop); returns what is still held.
  std::uint64_t Unhold(std::uint64_t count);
  std::uint64_t NextSeed();

  boost::asio::io_context& ioc_;
  std::shared_ptr<GatewayCore> core_;
  const DispatcherConfig config_;
  const Duration lease_;
  boost::asio::strand<boost::asio::io_context::executor_type> poll_strand_;
  boost::asio::steady_timer poll_timer_;
  std::atomic<std::uint64_t> held_{0};      // events held plus room reserved
  std::atomic<std::uint64_t> claiming_{0};  // room the poller reserved for a ClaimDue
  std::atomic<bool> stopping_{false};
  std::atomic<bool> backlog_{true};  // after a restart the store may hold anything
  std::atomic<bool> wake_pending_{false};
  std::mutex mu_;
  std::condition_variable idle_cv_;
  bool stopped_ = false;
  std::mt19937_64 seeds_;  // under mu_: seeds each delivery's jitter generator
};

}  // namespace hookfence::server
