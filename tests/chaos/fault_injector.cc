#include "tests/chaos/fault_injector.h"

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>

namespace hookfence::chaos {
namespace {

using std::chrono::milliseconds;

long long MillisSince(Steady::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Steady::now() - since).count();
}

void Count(const testing::Answer& answer, FaultInjector::AnswersDuring* during) {
  if (answer.status == 200 && answer.Outcome() == "duplicate") {
    ++during->duplicate;
  } else if (answer.status == 200) {
    ++during->accepted;
  } else if (answer.status == 503) {
    ++during->unavailable;
  } else if (answer.status == 0) {
    ++during->none;
  } else {
    ++during->other;
  }
}

// The last `bytes` of `text`, from a line start.
std::string Tail(const std::string& text, std::size_t bytes) {
  if (text.size() <= bytes) return text;
  const std::size_t from = text.find('\n', text.size() - bytes);
  return from == std::string::npos ? text.substr(text.size() - bytes) : text.substr(from + 1);
}

}  // namespace

FaultInjector::FaultInjector(FaultSchedule schedule, InjectorTargets targets,
                             Steady::time_point start)
    : schedule_(std::move(schedule)), targets_(std::move(targets)), start_(start) {}

FaultInjector::~FaultInjector() { Stop(); }

void FaultInjector::Start() {
  gateway_lane_ = std::thread(&FaultInjector::GatewayLane, this);
  sink_lane_ = std::thread(&FaultInjector::SinkLane, this);
}

bool FaultInjector::Stop() {
  if (stopped_) return !figures().gateway_lost;
  stopped_ = true;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (gateway_lane_.joinable()) gateway_lane_.join();
  if (sink_lane_.joinable()) sink_lane_.join();
  return !figures().gateway_lost;
}

void FaultInjector::OnAnswer(const testing::Answer& answer) {
  const int kind = store_fault_.load();
  if (kind < 0) return;
  std::lock_guard lock(mu_);
  Count(answer, static_cast<FaultKind>(kind) == FaultKind::kDiskFull ? &figures_.disk_full
                                                                     : &figures_.store_lock);
}

FaultInjector::Figures FaultInjector::figures() const {
  std::lock_guard lock(mu_);
  return figures_;
}

void FaultInjector::Log(const std::string& line) const {
  char prefix[64];
  std::snprintf(prefix, sizeof prefix, "chaos: [%8.3fs] ",
                std::chrono::duration<double>(Steady::now() - start_).count());
  std::fputs((prefix + line + "\n").c_str(), stderr);
}

bool FaultInjector::WaitUntil(Steady::time_point when, bool watch_gateway) {
  for (;;) {
    // The gateway is checked every 100 ms; nothing else wakes the lane before `when` but Stop.
    const Steady::time_point next =
        watch_gateway ? std::min(when, Steady::now() + milliseconds(100)) : when;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next, [&] { return stopping_; });
      if (stopping_) return false;
    }
    if (watch_gateway && !gateway_down_ && GatewayExited()) {
      // Restarted here unless a store fault is in force: then when the fault ends.
      gateway_down_ = true;
      if (store_fault_.load() < 0) {
        gateway_down_ = false;
        MeasureRecovery(Restart());
      }
    }
    if (Steady::now() >= when) return true;
  }
}

bool FaultInjector::GatewayExited() {
  const pid_t pid = targets_.gateway->pid();
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, WNOHANG) != pid) return false;
  {
    std::lock_guard lock(mu_);
    ++figures_.unexpected_exits;
  }
  Log("the gateway exited by itself (wait status " + std::to_string(status) +
      "); its log ends with:\n" + Tail(targets_.gateway->Log(), 2000));
  targets_.gateway->WaitExit();  // forgets the pid (already reaped)
  return true;
}

void FaultInjector::Kill() {
  targets_.gateway->Signal(SIGKILL);
  targets_.gateway->WaitExit();
  gateway_down_ = true;
  std::lock_guard lock(mu_);
  ++figures_.kills;
}

Steady::time_point FaultInjector::Restart() {
  const Steady::time_point restarted = Steady::now();
  const auto deadline = restarted + std::chrono::seconds(90);
  while (!targets_.gateway->Start()) {
    if (Steady::now() > deadline) {
      Log("the gateway did not come back within 90 s; its log ends with:\n" +
          Tail(targets_.gateway->Log(), 4000));
      std::lock_guard lock(mu_);
      figures_.gateway_lost = true;
      return restarted;
    }
    testing::PollPause();
  }
  gateway_down_ = false;
  targets_.port->store(targets_.gateway->port());
  return restarted;
}

void FaultInjector::MeasureRecovery(Steady::time_point restarted) {
  if (figures().gateway_lost) return;
  const PlannedEvent* probe = targets_.player->SomeAcked();
  if (probe != nullptr) {
    // A provider's copy of an event already acked: its 200 needs the store, not only the port.
    testing::Poster poster(targets_.port, testing::kProcessTestSource);
    const testing::Answer answer =
        poster.PostUntilAccepted(probe->id, probe->body, std::chrono::seconds(60));
    if (answer.status != 200) {
      Log("recovery probe got no 200 within 60 s (status " + std::to_string(answer.status) + ")");
      return;
    }
  }
  const long long ms = MillisSince(restarted);
  Log("  recovered: first 200 " + std::to_string(ms) + " ms after the restart");
  std::lock_guard lock(mu_);
  figures_.recoveries_ms.push_back(ms);
}

FaultInjector::AnswersDuring FaultInjector::Tally(FaultKind kind) const {
  std::lock_guard lock(mu_);
  return kind == FaultKind::kDiskFull ? figures_.disk_full : figures_.store_lock;
}

void FaultInjector::StoreFault(const Fault& fault) {
  std::unique_ptr<StoreLock> lock;
  bool filled = false;
  if (fault.kind == FaultKind::kDiskFull) {
    if (targets_.disk == nullptr) return;
    auto bytes = targets_.disk->Fill();
    if (!bytes.ok()) {
      Log("disk_full: " + bytes.status().ToString());
      targets_.disk->Free();
      return;
    }
    filled = true;
    Log(Describe(fault) + " filler=" + std::to_string(*bytes >> 10) + "KiB");
    std::lock_guard guard(mu_);
    figures_.filler_bytes = std::max(figures_.filler_bytes, *bytes);
  } else {
    auto taken = StoreLock::Take(targets_.db_path, std::chrono::seconds(10));
    if (!taken.ok()) {
      Log("store_lock: " + taken.status().ToString());
      std::lock_guard guard(mu_);
      ++figures_.lock_not_taken;
      return;
    }
    lock = std::move(*taken);
    Log(Describe(fault) + " (lock held)");
  }
  const AnswersDuring before = Tally(fault.kind);
  store_fault_.store(static_cast<int>(fault.kind));
  // The fault's length counts from when it is in force (filling or locking takes a while).
  const Steady::time_point in_force = Steady::now();
  bool go_on = true;
  if (fault.kill_at) {
    go_on = WaitUntil(in_force + *fault.kill_at, true);
    if (go_on && !gateway_down_) {
      Kill();
      Log("  SIGKILL inside " + std::string(Name(fault.kind)) + "; restart when it ends");
    }
  }
  if (go_on) WaitUntil(in_force + fault.length, true);
  store_fault_.store(-1);
  if (filled) targets_.disk->Free();
  lock.reset();
  const AnswersDuring after = Tally(fault.kind);
  Log("  " + std::string(Name(fault.kind)) +
      " over; answers meanwhile: accepted=" + std::to_string(after.accepted - before.accepted) +
      " duplicate=" + std::to_string(after.duplicate - before.duplicate) +
      " 503=" + std::to_string(after.unavailable - before.unavailable) +
      " other=" + std::to_string(after.other - before.other) +
      " none=" + std::to_string(after.none - before.none));
  if (gateway_down_) MeasureRecovery(Restart());
}

void FaultInjector::GatewayLane() {
  for (const Fault& fault : schedule_.gateway_lane) {
    if (!WaitUntil(At(fault.start), true)) break;
    {
      std::lock_guard lock(mu_);
      ++figures_.faults[Name(fault.kind)];
    }
    if (fault.kind == FaultKind::kKill) {
      if (gateway_down_) continue;  // it died by itself and waits for its restart
      Kill();
      Log(Describe(fault));
      WaitUntil(Steady::now() + fault.length, false);
      MeasureRecovery(Restart());
    } else {
      StoreFault(fault);
    }
    if (figures().gateway_lost) return;
  }
  if (!gateway_down_) WaitUntil(Steady::time_point::max(), true);
  if (gateway_down_ || GatewayExited()) Restart();
}

void FaultInjector::SinkLane() {
  for (const Fault& fault : schedule_.sink_lane) {
    if (!WaitUntil(At(fault.start), false)) break;
    {
      std::lock_guard lock(mu_);
      ++figures_.faults[Name(fault.kind)];
    }
    Log(Describe(fault));
    if (fault.kind == FaultKind::kSinkDown) {
      targets_.sink->Stop();
    } else {
      targets_.sink_faults->Set(fault);
    }
    WaitUntil(Steady::now() + fault.length, false);
    if (fault.kind == FaultKind::kSinkDown) {
      const auto deadline = Steady::now() + std::chrono::seconds(30);
      while (!targets_.sink->Start().ok() && Steady::now() < deadline) testing::PollPause();
    } else {
      targets_.sink_faults->Clear();
    }
  }
}

}  // namespace hookfence::chaos
