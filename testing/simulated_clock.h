// SimulatedClock: a Clock that moves only when a test says so.
//
// Thread-safety: Now, Advance and Set may be called concurrently.
#pragma once

#include <atomic>

#include "hookfence/clock.h"

namespace hookfence::testing {

class SimulatedClock final : public Clock {
 public:
  // Starts at 2026-01-01T00:00:00Z, far from the epoch so arithmetic never goes negative.
  SimulatedClock() : micros_(1767225600LL * 1000000) {}
  explicit SimulatedClock(Timestamp start) : micros_(ToMicros(start)) {}

  Timestamp Now() const override { return FromMicros(micros_.load()); }
  void Advance(Duration d) { micros_.fetch_add(d.count()); }
  void Set(Timestamp t) { micros_.store(ToMicros(t)); }

 private:
  std::atomic<long long> micros_;
};

}  // namespace hookfence::testing
