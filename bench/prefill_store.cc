// hookfence_bench_prefill: fills a store with retained events through the library's Store API, for
// the memory and start-up rows of docs/benchmarks.md §4 (a gateway holding 1M events).
//
//   hookfence_bench_prefill --store sqlite://PATH [--events 1000000] [--source hooks]
//                           [--id-prefix retained] [--state completed|queued]
//
// Each event is what the gateway stores for an hmac source: key "<source>:<id>", the 1.6 KB sample
// event with its own id as the body, its fingerprint and forwarded headers. completed (default):
// accepted leased, then completed with a 200 attempt, as after a delivery (the retained state for
// `retention`); queued: accepted and left due. Accepts are queued to the store's writer thousands
// at a time (AcceptAsync) and completions come from 64 threads, so both go in large group commits.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_env.h"
#include "hookfence/fingerprint.h"
#include "hookfence/store.h"

namespace hookfence::bench {
namespace {

constexpr std::size_t kOutstandingAccepts = 4096;
constexpr int kCompleters = 64;
constexpr std::string_view kSampleId = "evt_3PqRsTuVwXyZ0123456789ab";

struct Options {
  std::string store;
  std::uint64_t events = 1'000'000;
  std::string source = "hooks";
  std::string id_prefix = "retained";
  bool complete = true;
};

// Accepted records waiting to be completed, and the bound on accepts in flight.
class Pipeline {
 public:
  void WaitForRoom() {
    std::unique_lock lock(mu_);
    room_.wait(lock, [this] { return outstanding_ < kOutstandingAccepts; });
    ++outstanding_;
  }
  void Accepted(std::string key, std::uint64_t fence, bool to_complete) {
    std::lock_guard lock(mu_);
    --outstanding_;
    if (to_complete) {
      ++to_complete_;
      pending_.emplace_back(std::move(key), fence);
      work_.notify_one();
    }
    room_.notify_one();
  }
  // The next record to complete; false once every accept finished and nothing is left.
  bool Next(std::pair<std::string, std::uint64_t>* item) {
    std::unique_lock lock(mu_);
    work_.wait(lock, [this] { return !pending_.empty() || (closed_ && outstanding_ == 0); });
    if (pending_.empty()) return false;
    *item = std::move(pending_.front());
    pending_.pop_front();
    return true;
  }
  void Close() {
    std::unique_lock lock(mu_);
    closed_ = true;
    room_.wait(lock, [this] { return outstanding_ == 0; });
    work_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable room_;
  std::condition_variable work_;
  std::size_t outstanding_ = 0;
  std::uint64_t to_complete_ = 0;
  bool closed_ = false;
  std::deque<std::pair<std::string, std::uint64_t>> pending_;
};

int Run(const Options& options) {
  StoreOptions store_options;
  store_options.max_pending_writes = 0;
  store_options.max_batch = 4096;
  auto opened = OpenStore(options.store, store_options);
  if (!opened.ok()) {
    std::fprintf(stderr, "hookfence_bench_prefill: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Store& store = **opened;
  const std::string& sample = WebhookPayload().body;
  const std::size_t at = sample.find(kSampleId);
  Pipeline pipeline;
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> duplicates{0};
  const auto start = std::chrono::steady_clock::now();

  std::vector<std::thread> completers;
  for (int i = 0; i < (options.complete ? kCompleters : 0); ++i) {
    completers.emplace_back([&store, &pipeline, &failures] {
      std::pair<std::string, std::uint64_t> item;
      while (pipeline.Next(&item)) {
        Attempt attempt;
        attempt.at = Clock::Real()->Now();
        attempt.fence = item.second;
        attempt.status = 200;
        attempt.latency = std::chrono::milliseconds(1);
        if (!store.Complete(item.first, item.second, attempt, std::nullopt).ok()) ++failures;
      }
    });
  }
  for (std::uint64_t i = 0; i < options.events; ++i) {
    char digits[24];
    std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(i));
    const std::string id = options.id_prefix + "_" + digits;
    AcceptRequest request;
    request.key = options.source + ":" + id;
    request.payload.body = sample.substr(0, at) + id + sample.substr(at + kSampleId.size());
    request.payload.headers = {{"Content-Type", "application/json"}, {"X-Webhook-Id", id}};
    request.fingerprint = Fingerprint(request.payload.body);
    if (options.complete) request.lease = std::chrono::hours(1);
    pipeline.WaitForRoom();
    std::string key = request.key;
    const bool complete = options.complete;
    store.AcceptAsync(std::move(request), [&pipeline, &failures, &duplicates, key, complete](
                                              Result<AcceptOutcome> outcome, Payload) {
      if (!outcome.ok()) {
        ++failures;
      } else if (outcome->kind == AcceptOutcome::Kind::kDuplicate) {
        ++duplicates;
      }
      const bool inserted = outcome.ok() && outcome->kind == AcceptOutcome::Kind::kInserted;
      pipeline.Accepted(key, inserted ? outcome->fence : 0, complete && inserted);
    });
  }
  pipeline.Close();
  for (std::thread& thread : completers) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const StoreStats stats = store.Stats();
  std::printf(
      "{\"events\":%llu,\"seconds\":%.1f,\"events_per_s\":%.0f,\"duplicates\":%llu,"
      "\"failures\":%llu,\"batches\":%llu,\"batched_operations\":%llu}\n",
      static_cast<unsigned long long>(options.events), seconds,
      static_cast<double>(options.events) / seconds,
      static_cast<unsigned long long>(duplicates.load()),
      static_cast<unsigned long long>(failures.load()),
      static_cast<unsigned long long>(stats.batches),
      static_cast<unsigned long long>(stats.batched_operations));
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hookfence::bench

int main(int argc, char** argv) {
  hookfence::bench::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--store") {
      options.store = value;
    } else if (flag == "--events") {
      options.events = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--source") {
      options.source = value;
    } else if (flag == "--id-prefix") {
      options.id_prefix = value;
    } else if (flag == "--state" && (value == "completed" || value == "queued")) {
      options.complete = value == "completed";
    } else {
      argc = 0;
      break;
    }
  }
  if (argc % 2 == 0 || options.store.empty()) {
    std::fputs(
        "usage: hookfence_bench_prefill --store URL [--events N] [--source S] [--id-prefix P] "
        "[--state completed|queued]\n",
        stderr);
    return 2;
  }
  return hookfence::bench::Run(options);
}
