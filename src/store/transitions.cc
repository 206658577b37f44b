#include "src/store/transitions.h"

#include <charconv>
#include <utility>

#include "hookfence/keys.h"

namespace hookfence::store::internal {
namespace {

constexpr std::size_t kMaxFingerprintBytes = 128;
constexpr std::size_t kMaxOrderingKeyBytes = 256;
constexpr std::size_t kMaxListLimit = 1000;

Status ValidateFingerprint(std::string_view fingerprint) {
  if (fingerprint.empty()) return InvalidArgumentError("fingerprint is empty");
  if (fingerprint.size() > kMaxFingerprintBytes) {
    return InvalidArgumentError("fingerprint is longer than 128 bytes");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateLease(Duration lease) {
  if (lease <= Duration::zero()) return InvalidArgumentError("lease must be positive");
  if (lease > kMaxDuration) return InvalidArgumentError("lease is longer than 100 years");
  return Status::Ok();
}

Status ValidateOptions(const StoreOptions& options) {
  if (options.clock == nullptr) return InvalidArgumentError("StoreOptions::clock is null");
  for (auto [name, value] : {std::pair{"max_clock_skew", options.max_clock_skew},
                             std::pair{"retention", options.retention},
                             std::pair{"key_retention", options.key_retention},
                             std::pair{"dead_retention", options.dead_retention}}) {
    if (value < Duration::zero() || value > kMaxDuration) {
      return InvalidArgumentError(std::string("StoreOptions::") + name +
                                  " must be between 0 and 100 years");
    }
  }
  return Status::Ok();
}

Status ValidateAccept(const AcceptRequest& request) {
  HF_RETURN_IF_ERROR(ValidateKey(request.key));
  HF_RETURN_IF_ERROR(ValidateFingerprint(request.fingerprint));
  if (request.lease) HF_RETURN_IF_ERROR(ValidateLease(*request.lease));
  if (request.ordering_key.size() > kMaxOrderingKeyBytes) {
    return InvalidArgumentError("ordering key is longer than 256 bytes");
  }
  return Status::Ok();
}

Status ValidateBegin(const BeginRequest& request) {
  HF_RETURN_IF_ERROR(ValidateKey(request.key));
  HF_RETURN_IF_ERROR(ValidateFingerprint(request.fingerprint));
  return ValidateLease(request.lease);
}

Status ValidateClaim(std::size_t limit, Duration lease) {
  if (limit == 0) return InvalidArgumentError("claim limit must be positive");
  return ValidateLease(lease);
}

Status ValidateListFilter(const ListFilter& filter) {
  if (filter.limit == 0 || filter.limit > kMaxListLimit) {
    return InvalidArgumentError("list limit must be 1-1000");
  }
  if (!filter.source.empty()) HF_RETURN_IF_ERROR(ValidateSourceName(filter.source));
  return ParseCursor(filter.cursor).status();
}

bool LeaseLapsed(const Record& record, Timestamp now, Duration max_clock_skew) {
  return record.state == State::kInProgress && record.lease_until &&
         *record.lease_until + max_clock_skew <= now;
}

Timestamp ClaimableAt(const Record& record, Duration max_clock_skew) {
  if (record.state == State::kPending && record.due_at) return *record.due_at;
  if (record.state == State::kInProgress && record.lease_until) {
    return *record.lease_until + max_clock_skew;
  }
  return Timestamp::max();
}

bool Claimable(const Record& record, Timestamp now, Duration max_clock_skew) {
  if (record.driver != Driver::kDispatcher) return false;
  if (record.state != State::kPending && record.state != State::kInProgress) return false;
  return ClaimableAt(record, max_clock_skew) <= now;
}

AcceptOutcome AcceptExisting(const Record& existing, std::string_view fingerprint) {
  AcceptOutcome outcome;
  outcome.kind = existing.fingerprint == fingerprint ? AcceptOutcome::Kind::kDuplicate
                                                     : AcceptOutcome::Kind::kMismatch;
  outcome.seq = existing.seq;
  return outcome;
}

Record NewAcceptedRecord(AcceptRequest&& request, Timestamp now, bool lease_granted,
                         AcceptOutcome* outcome) {
  Record record;
  record.key = std::move(request.key);
  record.fingerprint = std::move(request.fingerprint);
  record.driver = Driver::kDispatcher;
  record.ordering_key = std::move(request.ordering_key);
  record.payload = std::move(request.payload);
  record.received_at = now;
  record.updated_at = now;
  if (lease_granted) {
    record.state = State::kInProgress;
    record.fence = 1;
    record.lease_until = now + *request.lease;
    outcome->kind = AcceptOutcome::Kind::kInserted;
    outcome->fence = 1;
    outcome->lease_until = record.lease_until;
  } else {
    record.state = State::kPending;
    record.due_at = now;
    outcome->kind = AcceptOutcome::Kind::kQueued;
  }
  return record;
}

Record NewBegunRecord(BeginRequest&& request, Timestamp now, BeginOutcome* outcome) {
  Record record;
  record.key = std::move(request.key);
  record.fingerprint = std::move(request.fingerprint);
  record.driver = Driver::kCaller;
  record.state = State::kInProgress;
  record.fence = 1;
  record.lease_until = now + request.lease;
  record.payload = std::move(request.payload);
  record.received_at = now;
  record.updated_at = now;
  outcome->kind = BeginOutcome::Kind::kAcquired;
  outcome->fence = 1;
  outcome->lease_until = record.lease_until;
  return record;
}

namespace {

// The holder of a lapsed lease lost its attempt: it counts, and the log says why.
void RecordLostAttempt(Record& record, Timestamp now) {
  ++record.attempts;
  AppendAttempt(record, Attempt{now, record.fence, 0, "lease expired", Duration::zero()});
}

void TakeOver(Record& record, Timestamp now, Duration lease, Duration max_clock_skew) {
  if (LeaseLapsed(record, now, max_clock_skew)) RecordLostAttempt(record, now);
  ++record.fence;
  record.state = State::kInProgress;
  record.lease_until = now + lease;
  record.due_at.reset();
  record.updated_at = now;
}

}  // namespace

BeginOutcome BeginExisting(Record& record, const BeginRequest& request, Timestamp now,
                           Duration max_clock_skew, bool* changed) {
  *changed = false;
  BeginOutcome outcome;
  if (record.fingerprint != request.fingerprint) {
    outcome.kind = BeginOutcome::Kind::kMismatch;
    return outcome;
  }
  switch (record.state) {
    case State::kCompleted:
      outcome.kind = BeginOutcome::Kind::kCompleted;
      outcome.response = record.response;
      return outcome;
    case State::kDead:
      outcome.kind = BeginOutcome::Kind::kDead;
      return outcome;
    case State::kPending:
      if (record.driver == Driver::kCaller) break;  // the caller's retry is the retry
      outcome.kind = BeginOutcome::Kind::kInProgress;
      outcome.lease_until = record.due_at;
      return outcome;
    case State::kInProgress:
      if (record.driver == Driver::kCaller && LeaseLapsed(record, now, max_clock_skew)) break;
      outcome.kind = BeginOutcome::Kind::kInProgress;
      outcome.lease_until = record.lease_until;
      return outcome;
  }
  // Same fingerprint, same body: the stored payload stays as it is.
  TakeOver(record, now, request.lease, max_clock_skew);
  *changed = true;
  outcome.kind = BeginOutcome::Kind::kAcquired;
  outcome.fence = record.fence;
  outcome.lease_until = record.lease_until;
  return outcome;
}

void ApplyClaim(Record& record, Timestamp now, Duration lease, Duration max_clock_skew) {
  TakeOver(record, now, lease, max_clock_skew);
}

Status CheckOwner(const Record& record, std::uint64_t fence) {
  if (record.state != State::kInProgress || record.fence != fence) {
    return AbortedError("stale fence: the record is no longer owned by this fence");
  }
  return Status::Ok();
}

void ApplyComplete(Record& record, Timestamp now, Attempt attempt,
                   std::optional<Response> response) {
  ++record.attempts;
  AppendAttempt(record, std::move(attempt));
  record.state = State::kCompleted;
  record.lease_until.reset();
  record.due_at.reset();
  record.finished_at = now;
  record.updated_at = now;
  record.response = std::move(response);
}

Status ApplyFail(Record& record, Timestamp now, FailRequest&& request) {
  if (request.dead && record.driver == Driver::kCaller) {
    return FailedPreconditionError("caller-driven records never go dead");
  }
  ++record.attempts;
  AppendAttempt(record, std::move(request.attempt));
  record.last_error = std::move(request.error);
  record.lease_until.reset();
  record.updated_at = now;
  if (request.dead) {
    record.state = State::kDead;
    record.due_at.reset();
    record.finished_at = now;
  } else {
    record.state = State::kPending;
    record.due_at = request.retry_at;
  }
  return Status::Ok();
}

Timestamp ApplyRenew(Record& record, Timestamp now, Duration lease) {
  record.lease_until = now + lease;
  record.updated_at = now;
  return *record.lease_until;
}

void ApplyRelease(Record& record, Timestamp now) {
  record.state = State::kPending;
  record.lease_until.reset();
  record.due_at = now;
  record.updated_at = now;
}

Status ApplyReplay(Record& record, Timestamp now) {
  if (record.driver != Driver::kDispatcher) {
    return FailedPreconditionError("only dispatcher-driven records can be replayed");
  }
  if (!record.finished()) {
    return FailedPreconditionError("the record is still pending or in progress");
  }
  if (record.tombstone || !record.payload) {
    return FailedPreconditionError("the payload was dropped by retention; nothing to replay");
  }
  record.state = State::kPending;
  record.attempts = 0;
  record.due_at = now;
  record.finished_at.reset();
  record.response.reset();
  record.updated_at = now;
  return Status::Ok();
}

SweepAction SweepActionFor(const Record& record, Timestamp now, const StoreOptions& options) {
  if (!record.finished() || !record.finished_at) return SweepAction::kKeep;
  const Timestamp finished = *record.finished_at;
  const Duration payload_life =
      record.state == State::kDead ? options.dead_retention : options.retention;
  const bool payload_expired = finished + payload_life <= now;
  // A DEAD record keeps its payload (and so its key) at least until dead_retention.
  if (payload_expired && finished + options.key_retention <= now) return SweepAction::kErase;
  if (payload_expired && !record.tombstone) return SweepAction::kDropPayload;
  return SweepAction::kKeep;
}

void DropPayload(Record& record, Timestamp now) {
  record.payload.reset();
  record.response.reset();
  record.tombstone = true;
  record.updated_at = now;
}

void AppendAttempt(Record& record, Attempt attempt) {
  auto& log = record.attempt_log;
  if (log.size() >= kAttemptLogSize) log.erase(log.begin(), log.end() - (kAttemptLogSize - 1));
  log.push_back(std::move(attempt));
}

bool MatchesFilter(const Record& record, const ListFilter& filter) {
  if (filter.state && record.state != *filter.state) return false;
  if (!filter.source.empty() && record.source() != filter.source) return false;
  if (filter.since && record.received_at < *filter.since) return false;
  if (filter.until && record.received_at >= *filter.until) return false;
  return true;
}

Result<std::uint64_t> ParseCursor(std::string_view cursor) {
  if (cursor.empty()) return std::uint64_t{0};
  std::uint64_t seq = 0;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), seq);
  if (ec != std::errc() || end != cursor.data() + cursor.size()) {
    return InvalidArgumentError("malformed list cursor");
  }
  return seq;
}

}  // namespace hookfence::store::internal
