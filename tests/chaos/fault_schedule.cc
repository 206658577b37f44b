#include "tests/chaos/fault_schedule.h"

#include <cstdio>
#include <random>

namespace hookfence::chaos {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

Duration Seconds(double s) { return Duration(static_cast<std::int64_t>(s * 1e6)); }

double Uniform(std::mt19937_64& rng, double low, double high) {
  return std::uniform_real_distribution<double>(low, high)(rng);
}

long long Millis(Duration d) { return duration_cast<milliseconds>(d).count(); }

std::vector<Fault> GatewayLane(std::uint64_t seed, const FaultPlan& plan) {
  std::vector<FaultKind> kinds;
  // Kills weigh double: they are the fault the recovery figure is about.
  if (plan.kills) kinds.insert(kinds.end(), {FaultKind::kKill, FaultKind::kKill});
  if (plan.disk_full) kinds.push_back(FaultKind::kDiskFull);
  if (plan.store_lock) kinds.push_back(FaultKind::kStoreLock);
  std::vector<Fault> lane;
  if (kinds.empty()) return lane;
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 1);
  Duration at = Seconds(3);
  for (;;) {
    Fault fault;
    fault.kind = kinds[std::uniform_int_distribution<std::size_t>(0, kinds.size() - 1)(rng)];
    fault.start = at;
    switch (fault.kind) {
      case FaultKind::kKill:
        fault.length = Seconds(Uniform(rng, 0, 0.6));
        break;
      case FaultKind::kDiskFull:
        // Long enough for SQLite to run past the WAL space it already holds and need more.
        fault.length = Seconds(Uniform(rng, 3, 10));
        break;
      default:  // kStoreLock: past the store's 5 s busy timeout now and then
        fault.length = Seconds(Uniform(rng, 1, 8));
        break;
    }
    if (fault.kind != FaultKind::kKill && plan.kills && Uniform(rng, 0, 1) < 0.3) {
      fault.kill_at =
          Seconds(Uniform(rng, 0.2, 0.8) * std::chrono::duration<double>(fault.length).count());
    }
    if (fault.end() > plan.duration) break;
    lane.push_back(fault);
    at = fault.end() + Seconds(Uniform(rng, 1.5, 4));
  }
  return lane;
}

std::vector<Fault> SinkLane(std::uint64_t seed, const FaultPlan& plan) {
  std::vector<Fault> lane;
  if (!plan.sink) return lane;
  const FaultKind kinds[] = {FaultKind::kSinkErrors, FaultKind::kSinkStall, FaultKind::kSinkHangUp,
                             FaultKind::kSinkDown};
  std::mt19937_64 rng(seed * 0xC2B2AE3D27D4EB4Full + 2);
  Duration at = Seconds(2);
  for (;;) {
    Fault fault;
    fault.kind = kinds[std::uniform_int_distribution<std::size_t>(0, 3)(rng)];
    fault.start = at;
    fault.length = Seconds(Uniform(rng, 1, 5));
    fault.share = fault.kind == FaultKind::kSinkDown ? 1.0 : Uniform(rng, 0.3, 1.0);
    if (fault.kind == FaultKind::kSinkStall) {
      fault.stall =
          Seconds(Uniform(rng, 1.2, 3.0) * std::chrono::duration<double>(plan.lease).count());
    }
    if (fault.end() > plan.duration) break;
    lane.push_back(fault);
    at = fault.end() + Seconds(Uniform(rng, 1, 5));
  }
  return lane;
}

}  // namespace

const char* Name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKill:
      return "kill";
    case FaultKind::kDiskFull:
      return "disk_full";
    case FaultKind::kStoreLock:
      return "store_lock";
    case FaultKind::kSinkErrors:
      return "sink_errors";
    case FaultKind::kSinkStall:
      return "sink_stall";
    case FaultKind::kSinkHangUp:
      return "sink_hang_up";
    case FaultKind::kSinkDown:
      return "sink_down";
  }
  return "?";
}

std::string Describe(const Fault& fault) {
  char line[200];
  int n =
      std::snprintf(line, sizeof line, "t=%.3fs %s %s=%lldms",
                    std::chrono::duration<double>(fault.start).count(), Name(fault.kind),
                    fault.kind == FaultKind::kKill ? "downtime" : "length", Millis(fault.length));
  std::string text(line, static_cast<std::size_t>(n));
  if (fault.kind == FaultKind::kSinkErrors || fault.kind == FaultKind::kSinkStall ||
      fault.kind == FaultKind::kSinkHangUp) {
    n = std::snprintf(line, sizeof line, " share=%.2f", fault.share);
    text.append(line, static_cast<std::size_t>(n));
  }
  if (fault.kind == FaultKind::kSinkStall)
    text += " stall=" + std::to_string(Millis(fault.stall)) + "ms";
  if (fault.kill_at) text += " kill_at=+" + std::to_string(Millis(*fault.kill_at)) + "ms";
  return text;
}

FaultSchedule MakeSchedule(std::uint64_t seed, const FaultPlan& plan) {
  return FaultSchedule{GatewayLane(seed, plan), SinkLane(seed, plan)};
}

}  // namespace hookfence::chaos
