#include "src/server/loop_lag.h"

#include <algorithm>
#include <chrono>

namespace hookfence::server {
namespace {

constexpr auto kTick = std::chrono::milliseconds(1);

}  // namespace

LoopLag::LoopLag(boost::asio::io_context& context, Duration threshold, SteadyNow now)
    : timer_(context), threshold_(threshold), now_(std::move(now)) {}

void LoopLag::Note() {
  if (threshold_ == Duration::zero()) return;
  requests_since_tick_ = true;
  if (!ticking_) Arm();
}

void LoopLag::Arm() {
  ticking_ = true;
  due_ = now_() + kTick;
  timer_.expires_after(kTick);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (self == nullptr) return;
    if (ec) {
      self->ticking_ = false;
      return;
    }
    const auto late = std::max(self->now_() - self->due_, std::chrono::steady_clock::duration{});
    if (self->OnTick(std::chrono::duration_cast<Duration>(late))) {
      self->Arm();
    } else {
      self->ticking_ = false;
    }
  });
}

bool LoopLag::Admit() {
  const double share = refused_share();
  if (share == 0) return true;
  credit_ += share;
  if (credit_ < 1) return true;
  credit_ -= 1;
  return false;
}

void LoopLag::SetShare(double share) {
  share_.store(share, std::memory_order_relaxed);
  if (share == 0) credit_ = 0;
}

bool LoopLag::OnTick(Duration lag) {
  last_lag_.store(lag.count(), std::memory_order_relaxed);
  const bool keep_ticking = requests_since_tick_;
  requests_since_tick_ = false;
  if (!keep_ticking) {
    // An idle loop is caught up by definition.
    late_since_.reset();
    SetShare(0);
    return false;
  }
  const double share = refused_share();
  if (lag <= threshold_) {
    late_since_.reset();
    SetShare(std::max(0.0, share - kStep));
    return true;
  }
  if (!late_since_) late_since_ = due_;
  // Already refusing: steer at once. Not yet: only once the loop has been late for kSustained.
  if (share > 0 || due_ + lag - *late_since_ >= kSustained) SetShare(std::min(1.0, share + kStep));
  return true;
}

}  // namespace hookfence::server
