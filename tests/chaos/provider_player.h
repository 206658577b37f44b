// ProviderPlayer: plays a webhook provider against the gateway the way Stripe does. Every event
// is delivered several times: some copies in a concurrent burst, others seconds apart. Each copy
// is retried on any non-2xx answer or broken connection, with exponential backoff and jitter,
// until it gets a 200 or the player's deadline passes. An event is acked once any of its copies
// got a 200.
//
// The plan (ids, bodies, copies and when each is first sent) is a pure function of the seed.
// Thread-safety: Start, Stop and the destructor from one thread; the rest from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/provider_poster.h"

namespace hookfence::chaos {

using Steady = std::chrono::steady_clock;

struct PlannedEvent {
  std::string id;
  std::string key;              // the Idempotency-Key the gateway delivers it with
  std::string body;             // the same for every copy
  std::vector<Duration> sends;  // when each copy is first sent, from the start of the run
};

// `events` events whose first copies spread over `window`.
std::vector<PlannedEvent> MakePlan(std::uint64_t seed, std::size_t events, Duration window);

class ProviderPlayer {
 public:
  struct Options {
    std::uint64_t seed = 0;
    std::size_t posters = 16;
    Steady::time_point start;     // the run's time zero
    Steady::time_point deadline;  // copies still without a 200 then give up
    // Called on a poster thread with every answer the gateway gave (status 0: none came).
    std::function<void(const testing::Answer&)> on_answer;
  };

  ProviderPlayer(Options options, std::vector<PlannedEvent> plan,
                 const std::atomic<std::uint16_t>* port);
  ~ProviderPlayer();  // Stop
  ProviderPlayer(const ProviderPlayer&) = delete;
  ProviderPlayer& operator=(const ProviderPlayer&) = delete;

  void Start();
  // Gives up on every copy not acked yet and joins the poster threads. Idempotent.
  void Stop();

  const std::vector<PlannedEvent>& plan() const { return plan_; }
  // True when every copy got its 200 or gave up.
  bool Finished() const { return copies_left_.load() == 0; }
  std::size_t acked() const { return acked_count_.load(); }
  bool Acked(std::size_t event) const { return acked_[event].load(); }
  // Some acked event (the first acked), or null before any.
  const PlannedEvent* SomeAcked() const;
  std::size_t posts() const { return posts_.load(); }
  std::size_t gave_up() const { return gave_up_.load(); }
  const testing::AnswerTally& tally() const { return tally_; }

 private:
  struct Job {
    Steady::time_point due;
    std::size_t event = 0;
    int attempt = 0;
    bool operator>(const Job& other) const { return due > other.due; }
  };

  void Run(std::size_t poster);
  bool Take(Job* job);
  void Push(Job job);

  const Options options_;
  const std::vector<PlannedEvent> plan_;
  const std::atomic<std::uint16_t>* port_;
  std::vector<std::atomic<bool>> acked_;
  std::atomic<std::size_t> acked_count_{0};
  std::atomic<std::size_t> first_acked_{SIZE_MAX};
  std::atomic<std::size_t> copies_left_{0};
  std::atomic<std::size_t> posts_{0};
  std::atomic<std::size_t> gave_up_{0};
  testing::AnswerTally tally_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::priority_queue<Job, std::vector<Job>, std::greater<Job>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hookfence::chaos
