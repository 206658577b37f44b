// Store hot paths for memory:// and sqlite:// with 1 and 8 concurrent callers, and for the shared
// stores (postgres://, redis://, mysql://) named by HOOKFENCE_BENCH_{POSTGRES,REDIS,MYSQL}_URL
// with 1 and 32 (bench/shared_stores.sh starts the servers and sets them).
//
// Every run of a benchmark (each thread count, each of Google Benchmark's calibration runs) gets a
// fresh store from its Setup — for SQLite a fresh file in the scratch directory — pre-filled as the
// benchmark needs, and Teardown closes and deletes it. All threads of a run share that store, as a
// gateway's request handlers do. Items are store calls (ClaimDue: records claimed) per second of
// wall time. For batched backends, `batch_size` is operations per group commit during the timed
// loop: the whole point of the SQLite writer.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_env.h"
#include "hookfence/fingerprint.h"
#include "hookfence/store.h"

namespace hookfence::bench {
namespace {

enum class Backend { kMemory, kSqlite, kPostgres, kRedis, kMysql };

// The URL of a shared backend's server from the environment ("" when unset).
std::string SharedServerUrl(Backend backend) {
  const char* name = backend == Backend::kPostgres ? "HOOKFENCE_BENCH_POSTGRES_URL"
                     : backend == Backend::kRedis  ? "HOOKFENCE_BENCH_REDIS_URL"
                                                   : "HOOKFENCE_BENCH_MYSQL_URL";
  const char* url = std::getenv(name);
  return url == nullptr ? "" : url;
}

using SetupFn = void (*)(const benchmark::State&);

constexpr Duration kLease = std::chrono::seconds(30);
// Long enough that nothing claimed during a run lapses and is claimed twice.
constexpr Duration kClaimLease = std::chrono::minutes(10);
// Keys that duplicates are sent for; more than a CPU cache of records, few enough to fill fast.
constexpr std::size_t kDuplicatePool = 2048;
// Queued records per ClaimDue run: every run claims exactly these, whatever its batch and threads,
// so the store the claims scan has the same size in every variant.
constexpr std::int64_t kClaimPool = 16384;
// ClaimDue calls per backlog run: few, so the backlog stays close to its nominal size.
constexpr std::int64_t kBacklogCalls = 16;
// Concurrent writers while pre-filling: on SQLite they share group commits.
constexpr std::size_t kFillThreads = 64;

// The store of the run in progress. Setup and Teardown run while no benchmark thread does; the
// benchmark threads only use it.
struct Run {
  std::unique_ptr<Store> store;
  std::filesystem::path file;     // SQLite only
  std::vector<std::string> keys;  // what Setup filled in
};

Run& CurrentRun() {
  static Run run;
  return run;
}

[[noreturn]] void Die(const std::string& what, const Status& status) {
  std::fprintf(stderr, "store_benchmark: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::abort();
}

const std::string& PayloadFingerprint() {
  static const std::string fingerprint = Fingerprint(WebhookPayload().body);
  return fingerprint;
}

// Unique in the whole process, so a key meant to be new never collides with an earlier run's.
std::string NewKey() {
  static std::atomic<std::uint64_t> next{0};
  return "bench:evt_" + std::to_string(next.fetch_add(1, std::memory_order_relaxed));
}

AcceptRequest MakeAccept(std::string key, std::optional<Duration> lease) {
  return AcceptRequest{std::move(key), PayloadFingerprint(), WebhookPayload(), lease, ""};
}

BeginRequest MakeBegin(std::string key) {
  return BeginRequest{std::move(key), PayloadFingerprint(), kLease, WebhookPayload()};
}

template <Backend kBackend>
Run& OpenFresh() {
  Run& run = CurrentRun();
  std::string url = "memory://";
  if constexpr (kBackend == Backend::kSqlite) {
    run.file = NewBenchFile("store");
    run.file += ".db";
    url = "sqlite://" + run.file.string();
  } else if constexpr (kBackend != Backend::kMemory) {
    // A schema or key prefix of the run's own (MySQL: the URL's database; keys are unique in
    // the process anyway).
    static std::atomic<int> runs{0};
    url = SharedServerUrl(kBackend);
    const std::string name = "hf_bench_" + std::to_string(getpid()) + "_" + std::to_string(++runs);
    const char* separator = url.find('?') == std::string::npos ? "?" : "&";
    if (kBackend == Backend::kPostgres) url += separator + ("schema=" + name);
    if (kBackend == Backend::kRedis) url += separator + ("prefix=" + name);
  }
  auto store = OpenStore(url);
  if (!store.ok()) Die("OpenStore " + url, store.status());
  run.store = std::move(store).value();
  return run;
}

// Calls fill(key) for `count` new keys from kFillThreads threads and keeps the keys in the run.
void Fill(Run& run, std::size_t count, const std::function<Status(const std::string&)>& fill) {
  run.keys.clear();
  for (std::size_t i = 0; i < count; ++i) run.keys.push_back(NewKey());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kFillThreads; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        const Status status = fill(run.keys[i]);
        if (!status.ok()) Die("pre-filling " + run.keys[i], status);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

template <Backend kBackend>
void SetUpEmpty(const benchmark::State&) {
  OpenFresh<kBackend>();
}

// kDuplicatePool records, as Accept leaves them (PENDING): the target of duplicate Accepts.
template <Backend kBackend>
void SetUpAccepted(const benchmark::State&) {
  Run& run = OpenFresh<kBackend>();
  Fill(run, kDuplicatePool, [&](const std::string& key) {
    return run.store->Accept(MakeAccept(key, std::nullopt)).status();
  });
}

// kDuplicatePool COMPLETED caller-driven records with a stored response: a duplicate Begin
// replays it.
template <Backend kBackend>
void SetUpCompleted(const benchmark::State&) {
  Run& run = OpenFresh<kBackend>();
  Fill(run, kDuplicatePool, [&](const std::string& key) {
    HF_ASSIGN_OR_RETURN(BeginOutcome begun, run.store->Begin(MakeBegin(key)));
    const Attempt attempt{Clock::Real()->Now(), begun.fence, 200, "", std::chrono::milliseconds(5)};
    const Response response{200, {{"content-type", "application/json"}}, R"({"received":true})"};
    return run.store->Complete(key, begun.fence, attempt, response);
  });
}

// kClaimPool records queued for the dispatcher (PENDING, due now).
template <Backend kBackend>
void SetUpQueued(const benchmark::State&) {
  Run& run = OpenFresh<kBackend>();
  Fill(run, kClaimPool, [&](const std::string& key) {
    return run.store->Accept(MakeAccept(key, std::nullopt)).status();
  });
}

// range(1) queued records that stay behind, plus what the run's kBacklogCalls claims of range(0)
// take: the dispatcher after an outage, working through a backlog.
template <Backend kBackend>
void SetUpBacklog(const benchmark::State& state) {
  Run& run = OpenFresh<kBackend>();
  const auto count = static_cast<std::size_t>(state.range(1) + kBacklogCalls * state.range(0));
  Fill(run, count, [&](const std::string& key) {
    return run.store->Accept(MakeAccept(key, std::nullopt)).status();
  });
}

void TearDown(const benchmark::State&) {
  Run& run = CurrentRun();
  run.store.reset();
  run.keys.clear();
  if (!run.file.empty()) RemoveSqliteFiles(run.file);
  run.file.clear();
}

// Group commit size over the timed loop. Thread 0 reads the counters before the loop (no thread
// has written yet: all wait at the start barrier) and after it (all have passed the stop barrier).
void ReportBatchSize(benchmark::State& state, const StoreStats& before, const StoreStats& after) {
  const std::uint64_t batches = after.batches - before.batches;
  if (state.thread_index() != 0 || batches == 0) return;
  state.counters["batch_size"] =
      static_cast<double>(after.batched_operations - before.batched_operations) /
      static_cast<double>(batches);
}

// Stops the run with `what` unless `ok`. Returns `ok`, so a loop can break on false.
bool Check(benchmark::State& state, bool ok, const std::string& what) {
  if (!ok) state.SkipWithError(what.c_str());
  return ok;
}

// Times one store call per iteration. `call(store, i)` makes the i-th call of this thread and
// returns "" when its outcome is the expected one, else what went wrong (which stops the run).
template <typename Call>
void TimeCalls(benchmark::State& state, Call call) {
  Store& store = *CurrentRun().store;
  const StoreStats before = store.Stats();
  // Threads start at different keys so that duplicates do not all hit the same one.
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 257;
  for (auto _ : state) {
    const std::string problem = call(store, i++);
    if (!Check(state, problem.empty(), problem)) {
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  ReportBatchSize(state, before, store.Stats());
}

const std::string& KnownKey(std::size_t i) {
  const Run& run = CurrentRun();
  return run.keys[i % run.keys.size()];
}

void BM_AcceptNew(benchmark::State& state) {
  TimeCalls(state, [](Store& store, std::size_t) -> std::string {
    Result<AcceptOutcome> outcome = store.Accept(MakeAccept(NewKey(), kLease));
    if (outcome.ok() && outcome->kind == AcceptOutcome::Kind::kInserted) return "";
    return "Accept of a new key: " + outcome.status().ToString();
  });
}

void BM_AcceptDuplicate(benchmark::State& state) {
  TimeCalls(state, [](Store& store, std::size_t i) -> std::string {
    Result<AcceptOutcome> outcome = store.Accept(MakeAccept(KnownKey(i), kLease));
    if (outcome.ok() && outcome->kind == AcceptOutcome::Kind::kDuplicate) return "";
    return "Accept of a known key: " + outcome.status().ToString();
  });
}

void BM_BeginNew(benchmark::State& state) {
  TimeCalls(state, [](Store& store, std::size_t) -> std::string {
    Result<BeginOutcome> outcome = store.Begin(MakeBegin(NewKey()));
    if (outcome.ok() && outcome->kind == BeginOutcome::Kind::kAcquired) return "";
    return "Begin of a new key: " + outcome.status().ToString();
  });
}

void BM_BeginDuplicate(benchmark::State& state) {
  TimeCalls(state, [](Store& store, std::size_t i) -> std::string {
    Result<BeginOutcome> outcome = store.Begin(MakeBegin(KnownKey(i)));
    if (outcome.ok() && outcome->kind == BeginOutcome::Kind::kCompleted &&
        outcome->response.has_value()) {
      return "";
    }
    return "Begin of a completed key: " + outcome.status().ToString();
  });
}

// range(0): the claim batch. Runs a fixed number of iterations: for BM_ClaimDue sized so that the
// run claims the whole pre-filled pool, for BM_ClaimDueBacklog kBacklogCalls. Every call must
// fill its batch.
void BM_ClaimDue(benchmark::State& state) {
  Store& store = *CurrentRun().store;
  const auto batch = static_cast<std::size_t>(state.range(0));
  const StoreStats before = store.Stats();
  std::int64_t claimed = 0;
  for (auto _ : state) {
    Result<std::vector<Claim>> claims = store.ClaimDue(batch, kClaimLease);
    if (!Check(state, claims.ok() && claims->size() == batch,
               "ClaimDue did not fill its batch: " + claims.status().ToString())) {
      break;
    }
    claimed += static_cast<std::int64_t>(claims->size());
  }
  state.SetItemsProcessed(claimed);
  ReportBatchSize(state, before, store.Stats());
}

struct BackendBenchmarks {
  const char* name;
  double min_time;  // seconds per calibrated run
  SetupFn empty, accepted, completed, queued, backlog;
};

template <Backend kBackend>
BackendBenchmarks For(const char* name, double min_time) {
  return {name,
          min_time,
          SetUpEmpty<kBackend>,
          SetUpAccepted<kBackend>,
          SetUpCompleted<kBackend>,
          SetUpQueued<kBackend>,
          SetUpBacklog<kBackend>};
}

// The Accept and Begin benchmarks of `backend` with 1 and `many` concurrent callers.
void RegisterCalls(const BackendBenchmarks& backend, int many) {
  const std::string suffix = std::string("/") + backend.name;
  const auto add = [&](const char* name, void (*fn)(benchmark::State&), SetupFn setup) {
    benchmark::RegisterBenchmark((name + suffix).c_str(), fn)
        ->Setup(setup)
        ->Teardown(TearDown)
        ->Threads(1)
        ->Threads(many)
        ->UseRealTime()
        ->MinTime(backend.min_time);
  };
  add("BM_AcceptNew", BM_AcceptNew, backend.empty);
  add("BM_AcceptDuplicate", BM_AcceptDuplicate, backend.accepted);
  add("BM_BeginNew", BM_BeginNew, backend.empty);
  add("BM_BeginDuplicate", BM_BeginDuplicate, backend.completed);
}

void Register(const BackendBenchmarks& backend) {
  const std::string suffix = std::string("/") + backend.name;
  RegisterCalls(backend, 8);
  for (const std::int64_t batch : {64, 256}) {
    for (const int threads : {1, 8}) {
      benchmark::RegisterBenchmark(("BM_ClaimDue" + suffix).c_str(), BM_ClaimDue)
          ->Arg(batch)
          ->Setup(backend.queued)
          ->Teardown(TearDown)
          ->Threads(threads)
          ->Iterations(kClaimPool / (batch * threads))
          ->UseRealTime();
    }
  }
  // How the cost of one claim grows with the number of records waiting.
  benchmark::RegisterBenchmark(("BM_ClaimDueBacklog" + suffix).c_str(), BM_ClaimDue)
      ->ArgNames({"batch", "backlog"})
      ->ArgsProduct({{64}, {4096, 16384, 65536}})
      ->Setup(backend.backlog)
      ->Teardown(TearDown)
      ->Iterations(kBacklogCalls)
      ->UseRealTime();
}

}  // namespace
}  // namespace hookfence::bench

int main(int argc, char** argv) {
  using hookfence::bench::Backend;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The in-memory store is fast: a short run already has many iterations. SQLite calls take
  // about a millisecond each, so its runs need longer to average out the disk.
  hookfence::bench::Register(hookfence::bench::For<Backend::kMemory>("memory", 0.3));
  hookfence::bench::Register(hookfence::bench::For<Backend::kSqlite>("sqlite", 1.0));
  // Shared stores: a server's round trip per batch; 32 callers show what batching gains.
  if (!hookfence::bench::SharedServerUrl(Backend::kPostgres).empty()) {
    hookfence::bench::RegisterCalls(hookfence::bench::For<Backend::kPostgres>("postgres", 2.0), 32);
  }
  if (!hookfence::bench::SharedServerUrl(Backend::kRedis).empty()) {
    hookfence::bench::RegisterCalls(hookfence::bench::For<Backend::kRedis>("redis", 2.0), 32);
  }
  if (!hookfence::bench::SharedServerUrl(Backend::kMysql).empty()) {
    hookfence::bench::RegisterCalls(hookfence::bench::For<Backend::kMysql>("mysql", 2.0), 32);
  }
  benchmark::AddCustomContext("scratch_dir", hookfence::bench::BenchDir().string());
  benchmark::AddCustomContext("payload_bytes",
                              std::to_string(hookfence::bench::WebhookPayload().body.size()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
