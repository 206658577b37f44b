// FaultInjector: runs a FaultSchedule against a live gateway process, its sink and its store, in
// two threads (one per lane), from the run's time zero.
// - kill: SIGKILL, wait out the downtime, restart `hookfence serve` on the same SQLite file and
//   port, and measure the recovery: from the restart to the first 200 the gateway answers a
//   provider's post (a copy of an event already acked), or to its /healthz before any event was.
// - disk_full / store_lock: fill the store's tmpfs, or have another process hold the write lock,
//   for the fault's length; a SIGKILL inside one keeps the gateway down until the fault ends, then
//   restarts it. Answers the provider gets meanwhile are counted by kind.
// - sink faults: set on SinkFaults, or the sink stopped and started again.
// The gateway lane also notices a gateway that exits on its own, reports it and restarts it.
// Thread-safety: Start and Stop from one thread; OnAnswer and figures() from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/fault_schedule.h"
#include "tests/chaos/provider_player.h"
#include "tests/chaos/sink_faults.h"
#include "tests/chaos/store_faults.h"
#include "tests/integration/serve_process.h"

namespace hookfence::chaos {

struct InjectorTargets {
  testing::ServeProcess* gateway = nullptr;
  std::atomic<std::uint16_t>* port = nullptr;  // updated after each restart
  testing::TestSink* sink = nullptr;
  SinkFaults* sink_faults = nullptr;
  TmpfsStoreDir* disk = nullptr;  // null: disk_full faults are skipped
  std::string db_path;
  const ProviderPlayer* player = nullptr;  // for the recovery probe's event
};

class FaultInjector {
 public:
  FaultInjector(FaultSchedule schedule, InjectorTargets targets, Steady::time_point start);
  ~FaultInjector();  // Stop
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  void Start();
  // Ends the faults in progress, skips those not started, and leaves the sink answering, the disk
  // free, the store unlocked and the gateway running. Idempotent. False when the gateway could
  // not be brought back.
  bool Stop();

  // Counts one answer the provider got against the store fault in force, if any.
  void OnAnswer(const testing::Answer& answer);

  // Answers the provider got while a store fault was in force.
  struct AnswersDuring {
    std::size_t accepted = 0;     // 200 accepted or queued: a new durable record
    std::size_t duplicate = 0;    // 200 duplicate: found, nothing written
    std::size_t unavailable = 0;  // 503
    std::size_t other = 0;        // any other status
    std::size_t none = 0;         // no answer (broken connection, timeout)
  };
  struct Figures {
    std::map<std::string, std::size_t> faults;  // by kind: the faults injected
    std::size_t kills = 0;                      // SIGKILLs, in store faults or not
    std::size_t unexpected_exits = 0;           // the gateway exited by itself
    std::vector<long long> recoveries_ms;       // one per measured restart
    std::size_t lock_not_taken = 0;             // store_lock faults whose holder got no lock
    std::uint64_t filler_bytes = 0;             // the largest filler written
    AnswersDuring disk_full;
    AnswersDuring store_lock;
    bool gateway_lost = false;  // the gateway could not be restarted
  };
  Figures figures() const;

 private:
  void GatewayLane();
  void SinkLane();
  // Waits until `when`, watching the gateway (gateway lane). False when stopping.
  bool WaitUntil(Steady::time_point when, bool watch_gateway);
  // Reaps a gateway that exited by itself; true when it did.
  bool GatewayExited();
  void Kill();
  // Restarts the gateway until it answers /healthz (or a deadline passes); the restart instant.
  Steady::time_point Restart();
  // Measures the time from `restarted` to the first 200 a provider's post gets.
  void MeasureRecovery(Steady::time_point restarted);
  void StoreFault(const Fault& fault);
  // The answers counted so far during faults of `kind` (kDiskFull or kStoreLock).
  AnswersDuring Tally(FaultKind kind) const;
  void Log(const std::string& line) const;
  Steady::time_point At(Duration offset) const { return start_ + offset; }

  const FaultSchedule schedule_;
  const InjectorTargets targets_;
  const Steady::time_point start_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  Figures figures_;
  std::atomic<int> store_fault_{-1};  // the FaultKind in force, -1 for none
  bool gateway_down_ = false;         // killed on purpose, not restarted yet (gateway lane only)
  std::thread gateway_lane_;
  std::thread sink_lane_;
  bool stopped_ = false;
};

}  // namespace hookfence::chaos
