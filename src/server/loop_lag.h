// LoopLag: how far behind an I/O thread's event loop runs, so that past saturation the gateway
// refuses part of the new webhooks at once (429 overloaded) instead of letting every answer queue
// up.
//
// The store's write-queue bound cannot see this overload: when the CPU saturates first, requests
// wait in socket buffers for the loop to read them, and latency climbs into seconds while the
// queue stays short. A timer due every millisecond runs on the loop while requests arrive; how
// late it fires is how long the loop takes to come round to work that became ready (one round of
// its ready connections).
//
// Refusals start once every tick for `kSustained` has run later than the threshold: a burst the
// loop works off sooner is only delayed, never refused (a refused event waits for the provider's
// retry, which is far longer). From then on the share of webhooks refused is steered by the
// ticks: each late tick raises it by `kStep`, each tick on time lowers it by `kStep`, so the loop
// settles near the threshold while it keeps accepting what it can, rather than refusing
// everything while it is slightly behind. A tick with no request since the last one stops the
// timer and ends refusals: an idle gateway wakes nobody.
// Thread-safety: Note and Admit on the loop's own thread; last_lag and refused_share from any
// thread (metrics).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "hookfence/clock.h"

namespace hookfence::server {

class LoopLag : public std::enable_shared_from_this<LoopLag> {
 public:
  // How long the loop must have run late without a break before the first refusal.
  static constexpr Duration kSustained = std::chrono::milliseconds(200);
  // How much one tick moves the share of webhooks refused.
  static constexpr double kStep = 1.0 / 16;

  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;
  // `threshold` zero: nothing is measured and nothing refused. `now` reads the time lateness is
  // measured in (tests pass their own; the timer itself always waits in real time).
  LoopLag(boost::asio::io_context& context, Duration threshold,
          SteadyNow now = &std::chrono::steady_clock::now);

  // A request arrived on this loop: keeps the measurement running.
  void Note();
  // Whether to take the next webhook (false: answer 429). Refuses `refused_share()` of the calls,
  // spread evenly.
  bool Admit();
  // The share of webhooks refused now, 0 to 1.
  double refused_share() const { return share_.load(std::memory_order_relaxed); }
  // The latest tick's lateness.
  Duration last_lag() const { return Duration(last_lag_.load(std::memory_order_relaxed)); }
  // True while the timer runs (requests arrived within the last tick).
  bool measuring() const { return ticking_; }

 private:
  void Arm();
  // What a tick does with its lateness; returns whether to keep ticking.
  bool OnTick(Duration lag);
  void SetShare(double share);

  boost::asio::steady_timer timer_;
  const Duration threshold_;
  const SteadyNow now_;
  std::chrono::steady_clock::time_point due_;
  std::optional<std::chrono::steady_clock::time_point> late_since_;  // the streak's first due time
  bool ticking_ = false;
  bool requests_since_tick_ = false;
  std::atomic<double> share_{0};  // of webhooks refused; written only on the loop's thread
  double credit_ = 0;             // refusals owed: each Admit adds share_, a refusal spends 1
  std::atomic<Duration::rep> last_lag_{0};
};

}  // namespace hookfence::server
