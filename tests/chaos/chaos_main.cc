// hookfence_chaos: the chaos driver (docs/chaos.md). Runs a real `hookfence serve` on the
// embedded SQLite store in front of an in-process sink, plays a provider that delivers every event
// several times and retries like Stripe, injects faults while it runs (SIGKILL and restart, sink
// errors, stalls past the lease, hang-ups and downtime, the disk full, the store locked by another
// process), stops them, drains, and prints one line:
//   events=N acked=N delivered=N lost=N effects_duplicated=N redeliveries=N max_recovery_ms=N
//   seed=N
// It exits 0 only when every event was acked, none acked was lost and no effect was duplicated.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "testing/scratch_dir.h"
#include "testing/test_sink.h"
#include "tests/chaos/chaos_options.h"
#include "tests/chaos/effect_ledger.h"
#include "tests/chaos/fault_injector.h"
#include "tests/chaos/fault_schedule.h"
#include "tests/chaos/provider_player.h"
#include "tests/chaos/sink_faults.h"
#include "tests/chaos/store_faults.h"
#include "tests/integration/gateway_fixture.h"
#include "tests/integration/provider_poster.h"
#include "tests/integration/serve_process.h"

namespace hookfence::chaos {
namespace {

using testing::Steady;

volatile sig_atomic_t interrupted = 0;

void OnInterrupt(int) { interrupted = 1; }

Duration Seconds(double s) { return Duration(static_cast<std::int64_t>(s * 1e6)); }

void Say(const std::string& line) { std::fputs(("chaos: " + line + "\n").c_str(), stderr); }

// A port free right now on 127.0.0.1, so the gateway can come back on the same one.
std::uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// The process tests' gateway config on a fixed port, with a 1 s lease, a 2 s response timeout
// (so a stalled answer outlives the lease) and attempts enough that no event dies while the
// sink is failing.
std::string GatewayConfig(const std::string& db_path, const std::string& destination,
                          std::uint16_t port) {
  std::string config =
      testing::ProcessTestConfig("sqlite://" + db_path, destination, "lease = \"1s\"\n",
                                 "max_attempts = 1000\nresponse_timeout = \"2s\"\n");
  const std::string any_port = "listen = \"127.0.0.1:0\"";
  config.replace(config.find(any_port), any_port.size(),
                 "listen = \"127.0.0.1:" + std::to_string(port) + "\"");
  return config;
}

// Waits for the gateway to finish a SIGTERM; SIGKILLs it after `timeout`.
void StopGateway(testing::ServeProcess* gateway, Duration timeout) {
  const pid_t pid = gateway->pid();
  if (pid <= 0) return;
  gateway->Signal(SIGTERM);
  if (!testing::WaitUntil([pid] { return waitpid(pid, nullptr, WNOHANG) == pid; }, timeout)) {
    gateway->Signal(SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  gateway->WaitExit();  // forgets the reaped pid
}

std::string Describe(const FaultInjector::AnswersDuring& during) {
  return "accepted=" + std::to_string(during.accepted) +
         " duplicate=" + std::to_string(during.duplicate) +
         " 503=" + std::to_string(during.unavailable) + " other=" + std::to_string(during.other) +
         " none=" + std::to_string(during.none);
}

int Run(const ChaosOptions& options) {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);
  Say("seed=" + std::to_string(options.seed) + " profile=" + options.profile +
      " events=" + std::to_string(options.events) +
      " duration=" + std::to_string(static_cast<long long>(options.duration_s)) + "s" +
      " (replay: hookfence_chaos --profile=" + options.profile +
      " --seed=" + std::to_string(options.seed) + ")");

  testing::ScratchDir dir;
  const std::string store_dir = dir.File("store");
  mkdir(store_dir.c_str(), 0700);
  std::unique_ptr<TmpfsStoreDir> disk;
  if (options.disk_full) {
    auto mounted = TmpfsStoreDir::Mount(store_dir, options.tmpfs_bytes);
    if (mounted.ok()) {
      disk = std::move(*mounted);
    } else {
      Say("notice: disk_full faults skipped: " + mounted.status().ToString());
    }
  }
  const std::string db_path = store_dir + "/hookfence.db";

  EffectLedger ledger;
  SinkFaults sink_faults(options.seed);
  testing::TestSink::Options sink_options;
  sink_options.threads = 2;
  sink_options.on_record = [&ledger](const testing::ReceivedRequest& request) {
    ledger.Record(request);
  };
  testing::TestSink sink(sink_options);
  sink.SetHook(sink_faults.Hook());
  if (!sink.Start().ok()) {
    Say("error: the sink could not start");
    return 2;
  }

  const std::string config_path = dir.File("hookfence.toml");
  testing::WriteFile(config_path, GatewayConfig(db_path, sink.Url("/hooks"), FreePort()));
  testing::ServeProcess gateway(config_path, dir.File("gateway.log"));
  if (!gateway.Start()) {
    Say("error: the gateway did not start; its log:\n" + gateway.Log());
    return 2;
  }
  std::atomic<std::uint16_t> port{gateway.port()};

  const Duration duration = Seconds(options.duration_s);
  // First copies go out over the first 85% of the run, so the last ones still meet faults.
  std::vector<PlannedEvent> plan = MakePlan(options.seed, options.events, duration * 85 / 100);
  for (const PlannedEvent& event : plan) ledger.Expect(event.key, event.body);

  const Steady::time_point start = Steady::now();
  const Steady::time_point faults_end = start + duration;
  const Steady::time_point drain_deadline = faults_end + Seconds(options.drain_timeout_s);
  FaultInjector* injector_for_answers = nullptr;
  ProviderPlayer::Options player_options;
  player_options.seed = options.seed;
  player_options.posters = options.posters;
  player_options.start = start;
  player_options.deadline = drain_deadline;
  player_options.on_answer = [&injector_for_answers](const testing::Answer& answer) {
    injector_for_answers->OnAnswer(answer);
  };
  ProviderPlayer player(player_options, std::move(plan), &port);

  FaultPlan fault_plan;
  fault_plan.duration = duration;
  fault_plan.lease = std::chrono::seconds(1);
  fault_plan.kills = options.kills;
  fault_plan.disk_full = disk != nullptr;
  fault_plan.store_lock = options.store_lock;
  fault_plan.sink = options.sink_faults;
  InjectorTargets targets;
  targets.gateway = &gateway;
  targets.port = &port;
  targets.sink = &sink;
  targets.sink_faults = &sink_faults;
  targets.disk = disk.get();
  targets.db_path = db_path;
  targets.player = &player;
  FaultInjector injector(MakeSchedule(options.seed, fault_plan), targets, start);
  injector_for_answers = &injector;

  injector.Start();
  player.Start();
  // The sink's own log is not needed (the ledger keeps the figures): forget it now and then so a
  // long run's memory stays flat.
  while (Steady::now() < faults_end && interrupted == 0) {
    testing::WaitUntil([] { return interrupted != 0; }, std::chrono::seconds(5));
    sink.Clear();
  }
  const bool gateway_up = injector.Stop();
  Say("faults stopped; draining");

  // Drain: every copy answered (or given up), then every acked event applied by the sink.
  std::size_t checked = 0;
  const auto all_applied = [&] {
    if (!player.Finished()) return false;
    while (checked < player.plan().size() &&
           (!player.Acked(checked) || ledger.Applied(player.plan()[checked].key))) {
      ++checked;
    }
    return checked == player.plan().size();
  };
  const Duration drain_left = std::chrono::duration_cast<Duration>(
      std::max(drain_deadline - Steady::now(), Steady::duration(0)));
  const bool drained = gateway_up && interrupted == 0 &&
                       testing::WaitUntil(all_applied, drain_left + std::chrono::seconds(5));
  // Let the redeliveries in flight settle before counting them.
  if (drained) {
    testing::WaitUntil([&] { return testing::Drained(testing::MetricsOf(port.load())); },
                       std::chrono::seconds(15));
  }
  const double drained_at = std::chrono::duration<double>(Steady::now() - start).count();
  player.Stop();
  const std::string metrics = testing::MetricsOf(port.load());

  // The figures.
  const FaultInjector::Figures faults = injector.figures();
  const EffectLedger::Figures effects = ledger.Snapshot();
  std::size_t lost = 0;
  std::vector<std::string> lost_examples;
  for (const PlannedEvent& event : player.plan()) {
    if (player.Acked(&event - player.plan().data()) && !ledger.Applied(event.key)) {
      ++lost;
      if (lost_examples.size() < 10) {
        lost_examples.push_back(
            event.key + ": " +
            testing::AdminCall(
                port.load(), "GET",
                "/v1/events/" + std::string(testing::kProcessTestSource) + "/" + event.id)
                .body.substr(0, 600));
      }
    }
  }
  const long long max_recovery_ms =
      faults.recoveries_ms.empty()
          ? 0
          : *std::max_element(faults.recoveries_ms.begin(), faults.recoveries_ms.end());
  const std::size_t redeliveries = effects.deliveries - effects.anomalies - effects.distinct_keys;

  std::string fault_counts;
  for (const auto& [name, count] : faults.faults) {
    fault_counts += " " + name + "=" + std::to_string(count);
  }
  Say("faults:" + fault_counts + " sigkills=" + std::to_string(faults.kills) +
      " unexpected_exits=" + std::to_string(faults.unexpected_exits) +
      " recoveries=" + std::to_string(faults.recoveries_ms.size()) +
      " lock_not_taken=" + std::to_string(faults.lock_not_taken) +
      " sink_requests_affected=" + std::to_string(sink_faults.affected()));
  Say("answers while the disk was full: " + Describe(faults.disk_full) +
      "; while the store was locked: " + Describe(faults.store_lock));
  Say("provider: posts=" + std::to_string(player.posts()) +
      " gave_up=" + std::to_string(player.gave_up()) + " answers: " + player.tally().ToString());
  Say("sink: deliveries=" + std::to_string(effects.deliveries) +
      " distinct_keys=" + std::to_string(effects.distinct_keys) +
      (disk != nullptr ? " store_fs_used=" + std::to_string(disk->UsedBytes() >> 10) + "KiB"
                       : std::string()) +
      " dead_letters=" + std::to_string(testing::MetricValue(metrics, "hookfence_dead_letters")) +
      " drained_at=" + std::to_string(static_cast<long long>(drained_at)) + "s" +
      (drained ? "" : " (drain deadline passed)"));
  for (const std::string& example : lost_examples) Say("lost " + example);
  for (const std::string& example : ledger.AnomalyExamples()) Say("anomaly: " + example);

  StopGateway(&gateway, std::chrono::seconds(15));
  std::printf(
      "events=%zu acked=%zu delivered=%zu lost=%zu effects_duplicated=%zu redeliveries=%zu "
      "max_recovery_ms=%lld seed=%llu\n",
      player.plan().size(), player.acked(), effects.applied, lost, effects.anomalies, redeliveries,
      max_recovery_ms, static_cast<unsigned long long>(options.seed));
  std::fflush(stdout);
  const bool passed = lost == 0 && effects.anomalies == 0 &&
                      player.acked() == player.plan().size() && gateway_up && interrupted == 0;
  return passed ? 0 : 1;
}

}  // namespace
}  // namespace hookfence::chaos

int main(int argc, char** argv) {
  bool help = false;
  auto options = hookfence::chaos::ParseOptions(argc, argv, &help);
  if (!options.ok()) {
    std::fprintf(stderr, "%s\n", options.status().message().c_str());
    return 2;
  }
  if (help) {
    std::fputs(hookfence::chaos::Usage().c_str(), stdout);
    return 0;
  }
  if (options->hold_lock_path) return hookfence::chaos::HoldLockMain(*options->hold_lock_path);
  return hookfence::chaos::Run(*options);
}
