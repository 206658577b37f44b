// The chaos driver's fault schedule: a pure function of the seed, so a failing run can be
// replayed. Two lanes run side by side: the gateway-and-store lane (SIGKILL and restart, disk
// full, the store locked by another process; one at a time, a store fault may carry a SIGKILL at
// an instant inside it) and the sink lane (errors, answers held past the lease, hang-ups, the
// sink down). Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hookfence/clock.h"

namespace hookfence::chaos {

enum class FaultKind {
  kKill,        // SIGKILL the gateway; restart it after `length` on the same file and port
  kDiskFull,    // fill the store's file system for `length`, then free it
  kStoreLock,   // another process holds the store's write lock for `length`
  kSinkErrors,  // the sink answers 500 to `share` of the requests
  kSinkStall,   // the sink holds `share` of its answers for `stall` (longer than the lease)
  kSinkHangUp,  // the sink closes `share` of the connections without answering
  kSinkDown,    // the sink stops listening
};

const char* Name(FaultKind kind);

struct Fault {
  FaultKind kind = FaultKind::kKill;
  Duration start{0};   // from the start of the run
  Duration length{0};  // for kKill: the downtime between the kill and the restart
  double share = 1.0;
  Duration stall{0};
  std::optional<Duration> kill_at;  // store faults: also SIGKILL the gateway this far in

  Duration end() const { return start + length; }
};

// "t=12.345s kill downtime=120ms", one line per fault.
std::string Describe(const Fault& fault);

struct FaultPlan {
  Duration duration{0};  // no fault lasts past it
  Duration lease{0};     // stalls are 1.2 to 3 leases long
  bool kills = true;
  bool disk_full = true;
  bool store_lock = true;
  bool sink = true;
};

struct FaultSchedule {
  std::vector<Fault> gateway_lane;  // in start order, never overlapping
  std::vector<Fault> sink_lane;     // in start order, never overlapping
};

// The schedule for `seed`: the same seed and plan give the same schedule.
FaultSchedule MakeSchedule(std::uint64_t seed, const FaultPlan& plan);

}  // namespace hookfence::chaos
