// The record state machine of DESIGN §2 as pure functions on a Record.
//
// Every backend finds the record(s) an operation touches, applies these functions under its own
// atomicity (a shard lock, the single SQLite writer, a transaction, a Lua script), and persists
// the result. Keeping the rules here means the backends cannot disagree about them.
// Thread-safety: pure functions; the caller serialises access to each Record.
#pragma once

#include <optional>
#include <string_view>

#include "hookfence/record.h"
#include "hookfence/status.h"
#include "hookfence/store.h"

namespace hookfence::store::internal {

// Argument checks shared by every backend: nothing is written when these fail.
Status ValidateAccept(const AcceptRequest& request);
Status ValidateBegin(const BeginRequest& request);
Status ValidateLease(Duration lease);  // positive, at most kMaxDuration
// The clock is set and every duration is within [0, kMaxDuration].
Status ValidateOptions(const StoreOptions& options);
Status ValidateClaim(std::size_t limit, Duration lease);
Status ValidateListFilter(const ListFilter& filter);

// True when an IN_PROGRESS record's lease, plus the allowed clock skew, is over.
bool LeaseLapsed(const Record& record, Timestamp now, Duration max_clock_skew);

// True for a dispatcher-driven record ClaimDue may take: PENDING and due, or a lapsed lease.
bool Claimable(const Record& record, Timestamp now, Duration max_clock_skew);

// When a claimable record became (or becomes) claimable: due_at, or lease_until + skew.
Timestamp ClaimableAt(const Record& record, Duration max_clock_skew);

// True while a record blocks later records of its ordering key (PENDING or IN_PROGRESS).
inline bool Unfinished(const Record& record) { return !record.finished(); }

// The answers for a new key at capacity.
inline AcceptOutcome AcceptFull() {
  AcceptOutcome outcome;
  outcome.kind = AcceptOutcome::Kind::kFull;
  return outcome;
}
inline BeginOutcome BeginFull() {
  BeginOutcome outcome;
  outcome.kind = BeginOutcome::Kind::kFull;
  return outcome;
}

// Accept/Begin of a key that already exists, when the fingerprints differ or the record is one
// the caller cannot take: the answer without any change.
AcceptOutcome AcceptExisting(const Record& existing, std::string_view fingerprint);

// A new dispatcher-driven record: IN_PROGRESS leased (fence 1) when `lease_granted`, otherwise
// PENDING due now (fence 0). `outcome` gets Inserted or Queued. The backend assigns seq.
Record NewAcceptedRecord(AcceptRequest&& request, Timestamp now, bool lease_granted,
                         AcceptOutcome* outcome);

// A new caller-driven record, IN_PROGRESS with fence 1, leased to the caller.
Record NewBegunRecord(BeginRequest&& request, Timestamp now, BeginOutcome* outcome);

// Begin on an existing record. May take it over (then returns true in *changed).
BeginOutcome BeginExisting(Record& record, const BeginRequest& request, Timestamp now,
                           Duration max_clock_skew, bool* changed);

// ClaimDue's change to one claimable record: fence + 1, IN_PROGRESS, leased until now + lease;
// a lapsed lease counts as a finished (lost) attempt.
void ApplyClaim(Record& record, Timestamp now, Duration lease, Duration max_clock_skew);

// kAborted unless `fence` is current and the record IN_PROGRESS.
Status CheckOwner(const Record& record, std::uint64_t fence);

// The owner operations, after CheckOwner succeeded.
void ApplyComplete(Record& record, Timestamp now, Attempt attempt,
                   std::optional<Response> response);
Status ApplyFail(Record& record, Timestamp now, FailRequest&& request);
Timestamp ApplyRenew(Record& record, Timestamp now, Duration lease);
void ApplyRelease(Record& record, Timestamp now);

// Replay of a finished dispatcher-driven record; kFailedPrecondition otherwise.
Status ApplyReplay(Record& record, Timestamp now);

// What retention does to one record as of `now` (DESIGN §3).
enum class SweepAction { kKeep, kDropPayload, kErase };
SweepAction SweepActionFor(const Record& record, Timestamp now, const StoreOptions& options);
void DropPayload(Record& record, Timestamp now);

// Appends to the attempt_log, keeping the newest kAttemptLogSize entries.
void AppendAttempt(Record& record, Attempt attempt);

// True when `record` matches the filter's state, source and time bounds (not the cursor).
bool MatchesFilter(const Record& record, const ListFilter& filter);

// Cursors are the last seq of a page, as decimal text.
Result<std::uint64_t> ParseCursor(std::string_view cursor);

}  // namespace hookfence::store::internal
