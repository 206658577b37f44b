#include "testing/fault_injecting_store.h"

#include <utility>

namespace hookfence::testing {

void FaultInjectingStore::FailNext(int count, Status status) {
  std::lock_guard lock(mu_);
  fail_count_ = count;
  fail_status_ = std::move(status);
}

void FaultInjectingStore::Stall() {
  std::lock_guard lock(mu_);
  stalling_ = true;
}

void FaultInjectingStore::Resume() {
  {
    std::lock_guard lock(mu_);
    stalling_ = false;
  }
  cv_.notify_all();
}

Status FaultInjectingStore::Intercept() {
  std::unique_lock lock(mu_);
  if (stalling_) {
    stalled_.fetch_add(1);
    cv_.wait(lock, [this] { return !stalling_; });
    stalled_.fetch_sub(1);
  }
  if (down_.load()) return UnavailableError("injected: store is down");
  if (fail_count_ > 0) {
    --fail_count_;
    return fail_status_;
  }
  calls_.fetch_add(1);
  return Status::Ok();
}

Result<AcceptOutcome> FaultInjectingStore::Accept(AcceptRequest request) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Accept(std::move(request));
}

Result<BeginOutcome> FaultInjectingStore::Begin(BeginRequest request) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Begin(std::move(request));
}

Result<std::vector<Claim>> FaultInjectingStore::ClaimDue(std::size_t limit, Duration lease) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->ClaimDue(limit, lease);
}

Status FaultInjectingStore::Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                                     std::optional<Response> response) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Complete(key, fence, std::move(attempt), std::move(response));
}

Status FaultInjectingStore::Fail(FailRequest request) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Fail(std::move(request));
}

Result<Timestamp> FaultInjectingStore::Renew(std::string_view key, std::uint64_t fence,
                                             Duration lease) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Renew(key, fence, lease);
}

Status FaultInjectingStore::Release(std::string_view key, std::uint64_t fence) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Release(key, fence);
}

Result<Record> FaultInjectingStore::Get(std::string_view key) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Get(key);
}

Result<ListPage> FaultInjectingStore::List(const ListFilter& filter) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->List(filter);
}

Result<SweepStats> FaultInjectingStore::Sweep() {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Sweep();
}

Result<QueueCounts> FaultInjectingStore::CountQueues() {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->CountQueues();
}

Status FaultInjectingStore::Replay(std::string_view key) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Replay(key);
}

Status FaultInjectingStore::Purge(std::string_view key) {
  HF_RETURN_IF_ERROR(Intercept());
  return target_->Purge(key);
}

}  // namespace hookfence::testing
