// Clock: the one source of time in hookfence, injected so that tests never sleep.
//
// Timestamps are microseconds since the Unix epoch (UTC), the resolution every backend stores.
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <chrono>

namespace hookfence {

using Duration = std::chrono::microseconds;
using Timestamp = std::chrono::sys_time<Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;

  // The process-wide wall clock. Never null; lives for the whole program.
  static Clock* Real();
};

// The longest duration hookfence accepts anywhere (leases, retention, timeouts): 100 years. Any
// timestamp plus such a duration stays far from overflowing the microsecond count.
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 365 * 100);

// Microseconds since the epoch, the form in which backends persist timestamps.
inline long long ToMicros(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromMicros(long long micros) { return Timestamp(Duration(micros)); }

}  // namespace hookfence
