// SinkFaults: the sink lane's faults as a TestSink request hook. While a fault is set, each
// request is affected with the fault's share (drawn from a seeded generator): answered 500, held
// past the lease before its 200, or hung up on without an answer. The sink being down is the
// sink's own Stop/Start (see FaultInjector).
// Thread-safety: every method may be called from any thread; the hook runs on sink threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>

#include "testing/test_sink.h"
#include "tests/chaos/fault_schedule.h"

namespace hookfence::chaos {

class SinkFaults {
 public:
  explicit SinkFaults(std::uint64_t seed);

  // The hook to install with TestSink::SetHook; it refers to this object, which must outlive it.
  testing::RequestHook Hook();
  // Starts `fault` (kSinkErrors, kSinkStall or kSinkHangUp).
  void Set(const Fault& fault);
  // Back to answering 200 at once.
  void Clear();
  // Requests a fault changed so far.
  std::size_t affected() const { return affected_.load(); }

 private:
  std::optional<testing::SinkReply> Decide();

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  bool active_ = false;
  Fault fault_;
  std::atomic<std::size_t> affected_{0};
};

}  // namespace hookfence::chaos
