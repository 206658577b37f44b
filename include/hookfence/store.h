// The idempotency store: one contract, several backends (DESIGN §2–4).
//
// A store keeps one Record per key and moves it through PENDING → IN_PROGRESS → COMPLETED / DEAD
// with atomic transitions. Ownership of an IN_PROGRESS record is a lease plus a fencing token
// (`fence`): every call that acts as the owner (Complete, Fail, Renew, Release) names the fence it
// was given and is refused with kAborted once another claim has taken the record over.
//
// No answer rests on an undurable write: a call returns only after what it wrote (and, for a
// duplicate, the write it found) is durable in the backend's terms; if that write cannot be made
// durable the call fails with kUnavailable and nothing it reported happened.
//
// Errors common to every operation: kInvalidArgument (bad key, fingerprint or lease; nothing is
// written), kUnavailable (backend down or write not durable: retry with backoff), kNotFound (no
// record, for operations on an existing key), kResourceExhausted (the write queue is past its
// bound: shed load and retry later).
//
// Thread-safety: every method may be called concurrently from any number of threads.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/clock.h"
#include "hookfence/record.h"
#include "hookfence/result.h"

namespace hookfence {

// Settings shared by every backend. Defaults follow DESIGN §2–3.
struct StoreOptions {
  // Source of time for leases, due times and retention. Not owned; must outlive the store.
  Clock* clock = Clock::Real();
  // A lease counts as expired only after lease_until + max_clock_skew (gateways sharing a store
  // may disagree on the time by this much).
  Duration max_clock_skew = std::chrono::seconds(1);
  // COMPLETED records keep payload and response this long after finished_at.
  Duration retention = std::chrono::hours(24 * 7);
  // Tombstones (the dedup window) live this long after finished_at.
  Duration key_retention = std::chrono::hours(24 * 30);
  // DEAD records keep their payload this long after finished_at.
  Duration dead_retention = std::chrono::hours(24 * 30);
  // Most records the store holds, tombstones included; 0 = unbounded. At the bound Accept and
  // Begin answer Full for new keys. Nothing is ever evicted to make room.
  std::uint64_t capacity = 0;
  // Batched backends: most writes waiting for the writer before calls fail fast with
  // kResourceExhausted ("overloaded"); 0 = unbounded.
  std::size_t max_pending_writes = 0;
  // Batched backends: most operations in one transaction (one group commit).
  std::size_t max_batch = 512;
  // Backends whose durability depends on the server's settings (Redis: `appendonly yes` and
  // `appendfsync always`) refuse to open without them (kFailedPrecondition naming the fix) unless
  // this is true; acknowledged events may then be lost when that server crashes.
  bool allow_volatile = false;
  // Test seam for batched backends: called by the writer just before it commits a batch of
  // `batch_size` operations; a non-ok Status makes the commit fail (every call in it fails).
  std::function<Status(std::size_t batch_size)> before_commit_for_testing;
};

// ---- Accept: the async gateway's durable insert. driver = dispatcher. ----
struct AcceptRequest {
  std::string key;
  std::string fingerprint;
  Payload payload;
  // Ask for the new record leased to the caller (its dispatcher has room). Must be positive.
  std::optional<Duration> lease;
  std::string ordering_key;  // empty: unordered
};

struct AcceptOutcome {
  enum class Kind {
    kInserted,   // new, IN_PROGRESS, leased to the caller with `fence` until `lease_until`
    kQueued,     // new, PENDING and due now: ClaimDue will hand it out
    kDuplicate,  // the key exists with the same fingerprint (any state, tombstones too)
    kMismatch,   // the key exists with another fingerprint; nothing changed
    kFull,       // a new key at capacity; nothing written
  };
  Kind kind = Kind::kFull;
  std::uint64_t fence = 0;
  std::optional<Timestamp> lease_until;
  std::uint64_t seq = 0;  // of the record, when one exists
};

// ---- Begin: the caller does the work itself (sync mode). driver = caller. ----
struct BeginRequest {
  std::string key;
  std::string fingerprint;
  Duration lease{0};  // must be positive
  Payload payload;    // kept with the record (optional: may be empty)
};

struct BeginOutcome {
  enum class Kind {
    kAcquired,    // the caller owns the record with `fence` until `lease_until`
    kInProgress,  // someone else owns it until `lease_until` (or it waits for its dispatcher)
    kCompleted,   // done: replay `response` (nullopt if none was stored or retention dropped it)
    kMismatch,    // the key exists with another fingerprint
    kDead,        // a dispatcher-driven record that went DEAD
    kFull,        // a new key at capacity
  };
  Kind kind = Kind::kFull;
  std::uint64_t fence = 0;
  std::optional<Timestamp> lease_until;
  std::optional<Response> response;
};

// ---- ClaimDue: the dispatcher's batch claim. ----
struct Claim {
  Record record;  // as it is after the claim (IN_PROGRESS, the new fence), with its payload
  // An earlier record with the same source and ordering key is DEAD; it no longer blocks this
  // one, and the dispatcher should report that the order was broken.
  bool passed_dead_predecessor = false;
};

// ---- Fail: a finished attempt that did not succeed. ----
struct FailRequest {
  std::string key;
  std::uint64_t fence = 0;
  Attempt attempt;
  std::string error;
  // true: DEAD (dispatcher-driven only). false: PENDING, due at retry_at.
  bool dead = false;
  Timestamp retry_at;
};

// ---- List ----
struct ListFilter {
  std::optional<State> state;
  std::string source;              // empty: every source
  std::optional<Timestamp> since;  // received_at >= since
  std::optional<Timestamp> until;  // received_at < until
  std::size_t limit = 100;         // 1..1000
  std::string cursor;              // from the previous page's next_cursor; empty: start
};

struct ListPage {
  std::vector<Record> records;  // in seq order, payloads and responses omitted
  std::string next_cursor;      // empty when there is nothing more
};

struct SweepStats {
  std::uint64_t payloads_dropped = 0;  // records made tombstones
  std::uint64_t records_erased = 0;    // tombstones past key_retention
};

// How many dispatcher-driven records wait, as of the clock's now (for metrics: the due-queue
// depth and the dead-letter count). Caller-driven records (Begin) are never counted.
struct QueueCounts {
  std::uint64_t due = 0;        // PENDING and due now (due_at <= now)
  std::uint64_t scheduled = 0;  // PENDING, due later (retries waiting for their backoff)
  std::uint64_t leased = 0;     // IN_PROGRESS (held by a dispatcher)
  std::uint64_t dead = 0;       // DEAD (dead letters), tombstones not counted
};

// Counters a store keeps about itself (for metrics and benchmarks).
struct StoreStats {
  std::uint64_t batches = 0;             // group commits (transactions) made by the writer
  std::uint64_t batched_operations = 0;  // operations carried by those batches
  std::uint64_t pending_writes = 0;      // operations waiting for the writer now
  // SQLite: WAL checkpoints run by the background checkpointer, and by the writer itself when
  // unbroken load kept the WAL past its hard bound.
  std::uint64_t background_checkpoints = 0;
  std::uint64_t writer_checkpoints = 0;
  // Batches by size: bucket i counts batches of at most kBatchSizeBounds[i] operations (the last
  // bucket is unbounded). Cumulative buckets for a Prometheus histogram are sums of these.
  static constexpr std::array<std::uint64_t, 9> kBatchSizeBounds = {1,  2,   4,   8,         16,
                                                                    32, 128, 512, UINT64_MAX};
  std::array<std::uint64_t, 9> batch_sizes{};
};

class Store {
 public:
  virtual ~Store() = default;

  // Counters since the store was opened; all zero for backends without a writer queue.
  virtual StoreStats Stats() const { return {}; }

  // Inserts a new key (see AcceptOutcome). A new record is PENDING instead of leased when no lease
  // was asked for or when an unfinished record with the same source and ordering key exists.
  virtual Result<AcceptOutcome> Accept(AcceptRequest request) = 0;

  // Accept without holding the caller's thread through the group commit. `done` is called exactly
  // once with what Accept would return, and with the request's payload handed back, so a caller
  // that still needs the body (the gateway's dispatcher) keeps it without a copy. `done` runs on
  // the calling thread or on a store thread and must not block.
  // The default runs Accept on the calling thread; stores with a writer queue override it to
  // only queue the call (see queues_writes).
  using AcceptCallback = std::function<void(Result<AcceptOutcome>, Payload)>;
  virtual void AcceptAsync(AcceptRequest request, AcceptCallback done);
  // True when AcceptAsync, CompleteAsync, FailAsync and ReleaseAsync never block (they queue the
  // call for a writer thread), so an event loop may call them directly; false when they run the
  // blocking call on the calling thread.
  virtual bool queues_writes() const { return false; }

  // Claims a key for the caller (see BeginOutcome). Takes over a caller-driven PENDING record at
  // once and any IN_PROGRESS record whose lease (plus max_clock_skew) has expired, with fence + 1.
  // Never takes a dispatcher-driven record.
  virtual Result<BeginOutcome> Begin(BeginRequest request) = 0;

  // Moves up to `limit` dispatcher-driven records that are PENDING and due, or IN_PROGRESS with an
  // expired lease, to IN_PROGRESS with fence + 1 and a lease of `lease`, longest-due first. Never
  // hands out a record while an unfinished record of the same source and ordering key with a lower
  // seq exists. Safe with many callers on one store: each due record is handed out once per fence.
  virtual Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) = 0;

  // The owner's successful attempt: COMPLETED, attempts + 1, `response` kept for replay.
  // kAborted (nothing changed) unless `fence` is current and the record IN_PROGRESS.
  virtual Status Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                          std::optional<Response> response) = 0;

  // The owner's failed attempt: PENDING due at retry_at, or DEAD; attempts + 1; last_error set.
  // kAborted as for Complete; kFailedPrecondition for dead on a caller-driven record.
  virtual Status Fail(FailRequest request) = 0;

  // Extends the owner's lease to now + lease; returns the new lease_until. kAborted as above.
  virtual Result<Timestamp> Renew(std::string_view key, std::uint64_t fence, Duration lease) = 0;

  // Gives the lease back early: PENDING, due now, attempts unchanged. kAborted as above.
  virtual Status Release(std::string_view key, std::uint64_t fence) = 0;

  // Complete, Fail and Release without holding the caller's thread through the group commit, as
  // AcceptAsync: `done` is called exactly once with what the blocking call would return, on the
  // calling thread or on a store thread, and must not block. The defaults run the blocking call.
  using WriteCallback = std::function<void(Status)>;
  virtual void CompleteAsync(std::string key, std::uint64_t fence, Attempt attempt,
                             std::optional<Response> response, WriteCallback done);
  virtual void FailAsync(FailRequest request, WriteCallback done);
  virtual void ReleaseAsync(std::string key, std::uint64_t fence, WriteCallback done);

  // The whole record, payload and response included. kNotFound if absent.
  virtual Result<Record> Get(std::string_view key) = 0;

  // One page of records matching `filter`.
  virtual Result<ListPage> List(const ListFilter& filter) = 0;

  // Applies retention (DESIGN §3) as of the clock's now. Never touches PENDING or IN_PROGRESS.
  virtual Result<SweepStats> Sweep() = 0;

  // Counts the dispatcher-driven records in each queue as of the clock's now (see QueueCounts).
  // A due record held back by an ordering key counts as due; an IN_PROGRESS record whose lease
  // has lapsed counts as leased until ClaimDue takes it over. Reads only: the counts are one
  // consistent snapshot, possibly already stale when they return.
  virtual Result<QueueCounts> CountQueues() = 0;

  // Revives a finished dispatcher-driven record: PENDING, due now, attempts 0; the next claim gets
  // a new fence. kFailedPrecondition for caller-driven, unfinished or payload-less records.
  virtual Status Replay(std::string_view key) = 0;

  // Erases everything of one key (e.g. a data-deletion request). kNotFound if absent.
  virtual Status Purge(std::string_view key) = 0;
};

// What MigrateStore did to a store's schema (DESIGN §4: versioned migrations).
struct SchemaReport {
  int version_before = 0;            // 0: a new, empty database
  int version_after = 0;             // may exceed what this build knows (a newer release ran)
  std::vector<std::string> applied;  // the migrations applied now, in order
};

// Applies the schema migrations the store at `url` lacks, under the backend's lock (two gateways
// starting together never race), and reports them. OpenStore does the same on every open; this is
// for running them alone before a rolling upgrade (`hookfence migrate`). memory:// has no schema.
// kFailedPrecondition when the database's schema needs a newer hookfence.
Result<SchemaReport> MigrateStore(std::string_view url);

// Opens a store from its URL (DESIGN §4):
//   memory://              in-process, not durable
//   sqlite://PATH          embedded and durable; PATH literal: sqlite://hookfence.db is relative,
//                          sqlite:///var/lib/hookfence/hookfence.db absolute
// kInvalidArgument with a precise message for a malformed or unsupported URL; kUnavailable when
// the backend cannot be opened.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url, StoreOptions options = {});

}  // namespace hookfence
