#include "tests/chaos/sink_faults.h"

namespace hookfence::chaos {

SinkFaults::SinkFaults(std::uint64_t seed) : rng_(seed * 0xA24BAED4963EE407ull + 4) {}

testing::RequestHook SinkFaults::Hook() {
  return [this](const testing::ReceivedRequest&) { return Decide(); };
}

void SinkFaults::Set(const Fault& fault) {
  std::lock_guard lock(mu_);
  fault_ = fault;
  active_ = true;
}

void SinkFaults::Clear() {
  std::lock_guard lock(mu_);
  active_ = false;
}

std::optional<testing::SinkReply> SinkFaults::Decide() {
  std::lock_guard lock(mu_);
  if (!active_ || std::uniform_real_distribution<double>(0, 1)(rng_) >= fault_.share) {
    return std::nullopt;
  }
  ++affected_;
  switch (fault_.kind) {
    case FaultKind::kSinkErrors:
      return testing::StatusReply(500);
    case FaultKind::kSinkHangUp:
      return testing::CloseReply();
    case FaultKind::kSinkStall: {
      // The app does the work (the effect applies) but answers after the lease has run out.
      testing::SinkReply reply = testing::StatusReply(200);
      reply.delay = fault_.stall;
      return reply;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace hookfence::chaos
