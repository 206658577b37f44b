#include "tests/chaos/provider_player.h"

#include <algorithm>
#include <random>

namespace hookfence::chaos {
namespace {

Duration Seconds(double s) { return Duration(static_cast<std::int64_t>(s * 1e6)); }

// Stripe's schedule compressed to a test's time scale: 100 ms doubling to 2 s, with jitter.
Duration Backoff(int attempt, std::mt19937_64& rng) {
  const double base = std::min(2.0, 0.1 * static_cast<double>(1 << std::min(attempt, 5)));
  return Seconds(base * std::uniform_real_distribution<double>(0.5, 1.0)(rng));
}

std::string Hex(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kDigits[value & 15];
  return out;
}

}  // namespace

std::vector<PlannedEvent> MakePlan(std::uint64_t seed, std::size_t events, Duration window) {
  std::mt19937_64 rng(seed * 0xD6E8FEB86659FD93ull + 3);
  const double window_s = std::chrono::duration<double>(window).count();
  std::vector<PlannedEvent> plan(events);
  for (std::size_t i = 0; i < events; ++i) {
    PlannedEvent& event = plan[i];
    event.id = "evt_" + std::to_string(seed) + "_" + std::to_string(i);
    event.key = testing::KeyOf(event.id);
    // The object id makes every body unique, so a body delivered under another key is caught.
    event.body = testing::Body(event.id, "obj_" + Hex(rng()));
    const double first = std::uniform_real_distribution<double>(0, window_s)(rng);
    const int copies = std::uniform_int_distribution<int>(2, 4)(rng);
    // A quarter of the events arrive as a burst of concurrent copies; the others' copies are
    // resent up to 8 s later, as providers do when an answer was slow or lost.
    const bool burst = std::uniform_real_distribution<double>(0, 1)(rng) < 0.25;
    for (int c = 0; c < copies; ++c) {
      const double later =
          burst || c == 0 ? 0 : std::uniform_real_distribution<double>(0.05, 8)(rng);
      event.sends.push_back(Seconds(first + later));
    }
  }
  return plan;
}

ProviderPlayer::ProviderPlayer(Options options, std::vector<PlannedEvent> plan,
                               const std::atomic<std::uint16_t>* port)
    : options_(std::move(options)), plan_(std::move(plan)), port_(port), acked_(plan_.size()) {
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    for (Duration send : plan_[i].sends) {
      jobs_.push(Job{options_.start + send, i, 0});
      ++copies_left_;
    }
  }
}

ProviderPlayer::~ProviderPlayer() { Stop(); }

void ProviderPlayer::Start() {
  for (std::size_t i = 0; i < options_.posters; ++i)
    threads_.emplace_back(&ProviderPlayer::Run, this, i);
}

void ProviderPlayer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

const PlannedEvent* ProviderPlayer::SomeAcked() const {
  const std::size_t first = first_acked_.load();
  return first == SIZE_MAX ? nullptr : &plan_[first];
}

// Waits for the earliest job to fall due. False when stopping (the job is not taken).
bool ProviderPlayer::Take(Job* job) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) return false;
    if (jobs_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const Steady::time_point due = jobs_.top().due;
    if (due <= Steady::now()) break;
    wake_.wait_until(lock, due);
  }
  *job = jobs_.top();
  jobs_.pop();
  return true;
}

void ProviderPlayer::Push(Job job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push(job);
  }
  wake_.notify_one();
}

void ProviderPlayer::Run(std::size_t poster) {
  testing::Poster sender(port_, testing::kProcessTestSource);
  std::mt19937_64 rng(options_.seed + 1000 + poster);
  Job job;
  while (Take(&job)) {
    const PlannedEvent& event = plan_[job.event];
    const testing::Answer answer = sender.Post(event.id, event.body);
    ++posts_;
    tally_.Add(answer);
    if (options_.on_answer) options_.on_answer(answer);
    if (answer.status == 200) {
      if (!acked_[job.event].exchange(true)) {
        ++acked_count_;
        std::size_t none = SIZE_MAX;
        first_acked_.compare_exchange_strong(none, job.event);
      }
      --copies_left_;
    } else if (Steady::now() > options_.deadline) {
      ++gave_up_;
      --copies_left_;
    } else {
      job.due = Steady::now() + Backoff(job.attempt++, rng);
      Push(job);
    }
  }
}

}  // namespace hookfence::chaos
