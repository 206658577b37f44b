#include "src/store/mysql_store.h"

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>

#include "hookfence/keys.h"
#include "src/store/connection_pool.h"
#include "src/store/mysql_connection.h"
#include "src/store/mysql_schema.h"
#include "src/store/mysql_txn.h"
#include "src/store/read_modify_write_store.h"
#include "src/store/transitions.h"
#include "src/store/write_queue.h"

namespace hookfence::store {
namespace {

using internal::MysqlChange;
using internal::MysqlConnection;
using internal::MysqlInt;
using internal::MysqlParam;
using internal::MysqlParams;
using internal::MysqlRow;
using Txn = internal::MysqlTxn;
using Pool = internal::ConnectionPool<MysqlConnection>;

// A transaction that keeps meeting deadlocks or lock wait timeouts is run again this many times
// in all before its callers are told kUnavailable.
constexpr int kMaxTransactionRuns = 8;
constexpr std::int64_t kSweepChunk = 500;

using WriteOp = internal::TransactionalWriteOp<Txn>;
template <typename T>
using TypedWriteOp = internal::TypedTransactionalWriteOp<Txn, T>;

struct Done {};

template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}

Status NotCommitted(const Status& why) {
  return why.code() == StatusCode::kUnavailable
             ? why
             : UnavailableError("write not committed: " + why.ToString());
}

class MysqlStore final : public internal::ReadModifyWriteStore {
 public:
  MysqlStore(MysqlParams params, StoreOptions options)
      : params_(std::move(params)),
        options_(std::move(options)),
        pool_([this] { return MysqlConnection::Connect(params_); }, params_.pool_size),
        writer_pool_([this] { return MysqlConnection::Connect(params_); }, 1) {
    writes_.Start();
  }

  ~MysqlStore() override { writes_.Stop(); }

  StoreStats Stats() const override { return writes_.Stats(); }

  Result<AcceptOutcome> Accept(AcceptRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateAccept(request));
    std::string op_key = request.key;
    return Write<AcceptOutcome>(
        std::move(op_key), [request = std::move(request)](Txn& txn) -> Result<AcceptOutcome> {
          bool blocked = false;
          if (!request.ordering_key.empty()) {
            const std::string_view key = request.key;
            const std::string_view source = key.substr(0, key.find(':'));
            HF_RETURN_IF_ERROR(txn.LockOrderingGroup(source, request.ordering_key));
            HF_ASSIGN_OR_RETURN(auto first, txn.FirstUnfinished(source, request.ordering_key));
            blocked = first.has_value();
          }
          const bool lease_granted = request.lease.has_value() && !blocked;
          AcceptOutcome outcome;
          // A copy: after a lock conflict the whole batch runs again.
          Record record =
              internal::NewAcceptedRecord(AcceptRequest(request), txn.now, lease_granted, &outcome);
          HF_ASSIGN_OR_RETURN(bool inserted, txn.InsertIfAbsent(record));
          if (inserted) {
            HF_ASSIGN_OR_RETURN(bool admitted, txn.Admitted(record));
            if (!admitted) return internal::AcceptFull();
            outcome.seq = record.seq;
            return outcome;
          }
          HF_ASSIGN_OR_RETURN(auto existing, txn.Find(request.key, false));
          if (!existing) return InternalError("inserted-or-existing key has no row");
          return internal::AcceptExisting(*existing, request.fingerprint);
        });
  }

  Result<BeginOutcome> Begin(BeginRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateBegin(request));
    std::string op_key = request.key;
    return Write<BeginOutcome>(
        std::move(op_key), [this, request = std::move(request)](Txn& txn) -> Result<BeginOutcome> {
          BeginOutcome outcome;
          Record record = internal::NewBegunRecord(BeginRequest(request), txn.now, &outcome);
          HF_ASSIGN_OR_RETURN(bool inserted, txn.InsertIfAbsent(record));
          if (inserted) {
            HF_ASSIGN_OR_RETURN(bool admitted, txn.Admitted(record));
            if (!admitted) return internal::BeginFull();
            return outcome;
          }
          HF_ASSIGN_OR_RETURN(auto existing, txn.Find(request.key, false));
          if (!existing) return InternalError("inserted-or-existing key has no row");
          bool changed = false;
          outcome = internal::BeginExisting(*existing, request, txn.now, options_.max_clock_skew,
                                            &changed);
          if (changed) HF_RETURN_IF_ERROR(txn.Update(*existing));
          return outcome;
        });
  }

  Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) override {
    HF_RETURN_IF_ERROR(internal::ValidateClaim(limit, lease));
    return Transact<std::vector<Claim>>([&](Txn& txn) { return ClaimIn(txn, limit, lease); });
  }

  Status Purge(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return StatusOf(Transact<Done>([&](Txn& txn) -> Result<Done> {
      HF_ASSIGN_OR_RETURN(bool erased, txn.Erase(key));
      if (!erased) return NotFoundError("no record for this key");
      return Done{};
    }));
  }

  Result<Record> Get(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Read<Record>([&](MysqlConnection& db) -> Result<Record> {
      HF_ASSIGN_OR_RETURN(auto rows, db.Query(std::string("SELECT ") + internal::kMysqlColumns +
                                                  internal::kMysqlPayloadColumns +
                                                  " FROM events WHERE event_key = ?",
                                              {key}));
      if (rows.empty()) return NotFoundError("no record for this key");
      return internal::ReadMysqlRecord(rows[0], true);
    });
  }

  Result<ListPage> List(const ListFilter& filter) override {
    HF_RETURN_IF_ERROR(internal::ValidateListFilter(filter));
    const std::uint64_t after = internal::ParseCursor(filter.cursor).value();
    std::string sql =
        std::string("SELECT ") + internal::kMysqlColumns + " FROM events WHERE seq > ?";
    std::vector<MysqlParam> params = {MysqlInt(after)};
    if (filter.state) {
      sql += " AND state = ?";
      params.emplace_back(std::int64_t{static_cast<int>(*filter.state)});
    }
    if (!filter.source.empty()) {
      sql += " AND source = ?";
      params.emplace_back(std::string_view(filter.source));
    }
    if (filter.since) {
      sql += " AND received_at >= ?";
      params.emplace_back(std::int64_t{ToMicros(*filter.since)});
    }
    if (filter.until) {
      sql += " AND received_at < ?";
      params.emplace_back(std::int64_t{ToMicros(*filter.until)});
    }
    sql += " ORDER BY seq LIMIT ?";
    params.push_back(MysqlInt(filter.limit + 1));
    return Read<ListPage>([&](MysqlConnection& db) -> Result<ListPage> {
      HF_ASSIGN_OR_RETURN(auto rows, db.Query(sql, params));
      ListPage page;
      for (const MysqlRow& row : rows) {
        HF_ASSIGN_OR_RETURN(Record record, internal::ReadMysqlRecord(row, false));
        page.records.push_back(std::move(record));
      }
      if (page.records.size() > filter.limit) {
        page.records.resize(filter.limit);
        page.next_cursor = std::to_string(page.records.back().seq);
      }
      return page;
    });
  }

  Result<SweepStats> Sweep() override {
    // Small transactions, so that writers interleave with a long sweep and no lock is held long.
    SweepStats stats;
    for (;;) {
      SweepStats chunk;
      HF_ASSIGN_OR_RETURN(std::size_t touched, Transact<std::size_t>([&](Txn& txn) {
                            chunk = SweepStats{};
                            return SweepChunk(txn, &chunk);
                          }));
      stats.payloads_dropped += chunk.payloads_dropped;
      stats.records_erased += chunk.records_erased;
      if (touched < static_cast<std::size_t>(kSweepChunk)) break;
    }
    // Ordering-group locks unused for key_retention: only mutexes, so deleting one that is about
    // to be used again is harmless (the next Accept of the group inserts it anew).
    for (;;) {
      HF_ASSIGN_OR_RETURN(MysqlChange deleted, Transact<MysqlChange>([&](Txn& txn) {
                            return txn.Execute(
                                "DELETE FROM ordering_locks WHERE used_at <= ? LIMIT 500",
                                {std::int64_t{ToMicros(txn.now - options_.key_retention)}});
                          }));
      if (deleted.affected_rows < 500) break;
    }
    return stats;
  }

  // One statement, so one read view (READ COMMITTED gives each statement its own consistent
  // snapshot). Each count walks an index range (events_due split at now, events_leased,
  // events_dead_letters), never the table.
  Result<QueueCounts> CountQueues() override {
    return Read<QueueCounts>([&](MysqlConnection& db) -> Result<QueueCounts> {
      HF_ASSIGN_OR_RETURN(
          auto rows, db.Query("SELECT"
                              " (SELECT COUNT(*) FROM events WHERE driver = 0 AND state = 0 AND"
                              "  due_at <= ?),"
                              " (SELECT COUNT(*) FROM events WHERE driver = 0 AND state = 0),"
                              " (SELECT COUNT(*) FROM events WHERE driver = 0 AND state = 1),"
                              " (SELECT COUNT(*) FROM events WHERE driver = 0 AND state = 3 AND"
                              "  tombstone = 0)",
                              {std::int64_t{ToMicros(Now())}}));
      if (rows.size() != 1) return InternalError("queue counts returned no row");
      QueueCounts counts;
      counts.due = static_cast<std::uint64_t>(rows[0].Int(0));
      counts.scheduled = static_cast<std::uint64_t>(rows[0].Int(1)) - counts.due;
      counts.leased = static_cast<std::uint64_t>(rows[0].Int(2));
      counts.dead = static_cast<std::uint64_t>(rows[0].Int(3));
      return counts;
    });
  }

  // Opens one connection now, so that a store that cannot reach its server fails to open.
  Status WarmUp() {
    HF_RETURN_IF_ERROR(writer_pool_.Acquire().status());
    return pool_.Acquire().status();
  }

 private:
  Timestamp Now() const { return options_.clock->Now(); }

  // Queues `fn` for the writer and waits until its batch is committed (or failed).
  template <typename T>
  Result<T> Write(std::string key, std::function<Result<T>(Txn&)> fn) {
    auto op = std::make_unique<TypedWriteOp<T>>(std::move(key), std::move(fn));
    auto answer = op->Answer();
    HF_RETURN_IF_ERROR(writes_.Push(std::move(op)));
    return answer.get();
  }

  // Read-modify-write of one existing record in its own transaction, the row locked by Find.
  Status Mutate(std::string_view key, const Change& change, bool with_payload) override {
    bool changed = false;  // a Change need not be safe to run twice: never rerun one that ran
    return StatusOf(Transact<Done>(
        [&](Txn& txn) -> Result<Done> {
          HF_ASSIGN_OR_RETURN(auto record, txn.Find(key, with_payload));
          if (!record) return NotFoundError("no record for this key");
          changed = true;
          HF_RETURN_IF_ERROR(change(*record, txn.now));
          HF_RETURN_IF_ERROR(txn.Update(*record));
          return Done{};
        },
        [&] { return !changed; }));
  }

  // Runs the reads of `fn` on a pooled connection (autocommit: each statement is its own
  // snapshot of committed data). Reads are idempotent: a stale connection is replaced once.
  template <typename T>
  Result<T> Read(const std::function<Result<T>(MysqlConnection&)>& fn) {
    for (int run = 1;; ++run) {
      HF_ASSIGN_OR_RETURN(Pool::Lease db, pool_.Acquire());
      Result<T> result = fn(*db);
      if (result.ok() || db->last_error() == 0) return result;
      if (!LostConnection(db) || run >= 2) return result;
    }
  }

  // Runs `fn` in a transaction of its own on a pooled connection and commits it. A lock conflict
  // runs it again (while `may_rerun`, if given, allows); any other SQL failure discards the
  // connection and is returned; an error `fn` returns itself rolls back and is returned.
  // `batch_size` > 0 marks the writer's group commit, which before_commit_for_testing may fail.
  template <typename T>
  Result<T> Transact(const std::function<Result<T>(Txn&)>& fn,
                     const std::function<bool()>& may_rerun = {}, std::size_t batch_size = 0) {
    // The writer has a connection of its own: it never queues behind the callers' transactions.
    Pool& pool = batch_size != 0 ? writer_pool_ : pool_;
    for (int run = 1;; ++run) {
      HF_ASSIGN_OR_RETURN(Pool::Lease db, pool.Acquire());
      Status begun = db->Exec("START TRANSACTION");
      if (!begun.ok()) {
        // Nothing was done: a connection that went stale in the pool (the server restarted)
        // costs one more run, on a fresh connection.
        if (LostConnection(db) && run < kMaxTransactionRuns) continue;
        return begun;
      }
      Txn txn(&*db, options_);
      txn.now = Now();
      Result<T> result = fn(txn);
      if (!txn.failed() && result.ok() && txn.count_delta != 0) {
        // A failure is remembered in txn.
        txn.Execute("UPDATE store_meta SET value = value + ? WHERE name = 'record_count'",
                    {std::int64_t{txn.count_delta}})
            .status()
            .IgnoreError();
      }
      if (txn.failed()) {
        // A deadlock or lock wait timeout, or a connection lost before COMMIT, left nothing
        // committed: the transaction can run again from the start.
        const bool conflict = db->IsLockConflict();
        const bool rerun = conflict || db->IsConnectionLost();
        if (conflict) {
          Rollback(db, true);
        } else {
          LostConnection(db);
        }
        if (!rerun || run >= kMaxTransactionRuns || (may_rerun && !may_rerun())) {
          return txn.failure();
        }
        continue;
      }
      if (result.ok() && batch_size != 0 && options_.before_commit_for_testing) {
        Status hook = options_.before_commit_for_testing(batch_size);
        if (!hook.ok()) result = hook;
      }
      if (!result.ok()) {
        Rollback(db, true);
        return result;
      }
      Status committed = db->Exec("COMMIT");
      if (!committed.ok()) {
        // Maybe committed, maybe not: only the caller's retry can tell (it finds its write or
        // makes it), so this is answered kUnavailable, never run again here.
        LostConnection(db);
        return committed;
      }
      return result;
    }
  }

  // Rolls back; keeps the connection only when `keep` and the rollback worked.
  static bool Rollback(Pool::Lease& db, bool keep) {
    if (keep && db->Exec("ROLLBACK").ok()) return true;
    db.Discard();
    return false;
  }

  // Discards a connection after a failure; true when it was lost (not a server-side error), and
  // then the idle ones go too: they most likely lost their server the same way.
  bool LostConnection(Pool::Lease& db) {
    const bool lost = db->IsConnectionLost();
    db.Discard();
    if (lost) {
      pool_.DropIdle();
      writer_pool_.DropIdle();
    }
    return lost;
  }

  // ClaimDue's candidates come from two index ranges, each walked in its own order — PENDING by
  // due_at, lapsed leases by lease_until — and merged, a page at a time. The ranges are read
  // without locks; each candidate taken is then locked on its own by primary key (FOR UPDATE
  // SKIP LOCKED) and checked again, so a claim locks only the rows it hands out (or finds no
  // longer claimable, or held back by an earlier record of its ordering key). A locking range
  // scan would not do: InnoDB also locks the first entry past a range's end (MariaDB checks the
  // end only after locking), and in events_due that entry is an IN_PROGRESS record, perhaps a
  // lapsed lease that another dispatcher's scan of events_leased then skips; two dispatchers
  // could so each skip the record the other held and hand it out to nobody.
  struct Candidate {
    std::uint64_t seq;
    std::int64_t at;  // when it became claimable (for a lease: lease_until + skew)
    bool leased;      // from the lapsed-lease range
    bool operator<(const Candidate& o) const { return at != o.at ? at < o.at : seq < o.seq; }
  };
  struct Cursor {
    std::int64_t at = INT64_MIN / 2;
    std::uint64_t seq = 0;
  };

  // The next `page` candidates of one range after `after`, read without locking (the latest
  // committed rows: READ COMMITTED), from the index alone.
  Result<std::vector<Candidate>> Candidates(Txn& txn, bool leased, std::int64_t now,
                                            const Cursor& after, std::int64_t page) {
    const std::int64_t skew = leased ? options_.max_clock_skew.count() : 0;
    const std::string column = leased ? "lease_until" : "due_at";
    const std::string sql = "SELECT seq, " + column +
                            " FROM events WHERE driver = 0 AND state = " + (leased ? "1" : "0") +
                            " AND " + column + " <= ? AND (" + column + " > ? OR (" + column +
                            " = ? AND seq > ?)) ORDER BY " + column + ", seq LIMIT ?";
    HF_ASSIGN_OR_RETURN(
        auto rows,
        txn.Query(sql, {std::int64_t{now - skew}, std::int64_t{after.at - skew},
                        std::int64_t{after.at - skew}, MysqlInt(after.seq), std::int64_t{page}}));
    std::vector<Candidate> out;
    out.reserve(rows.size());
    for (const MysqlRow& row : rows) {
      out.push_back(Candidate{static_cast<std::uint64_t>(row.Int(0)), row.Int(1) + skew, leased});
    }
    return out;
  }

  // Locks the record `seq` (that row alone) and reads it with its payload; nullopt when another
  // transaction holds it (it is being claimed or changed: SKIP LOCKED) or it is gone.
  Result<std::optional<Record>> LockCandidate(Txn& txn, std::uint64_t seq) {
    HF_ASSIGN_OR_RETURN(auto rows,
                        txn.Query(std::string("SELECT ") + internal::kMysqlColumns +
                                      internal::kMysqlPayloadColumns +
                                      " FROM events WHERE seq = ? FOR UPDATE SKIP LOCKED",
                                  {MysqlInt(seq)}));
    if (rows.empty()) return std::optional<Record>();
    HF_ASSIGN_OR_RETURN(Record record, internal::ReadMysqlRecord(rows[0], true));
    return std::optional<Record>(std::move(record));
  }

  Result<std::vector<Claim>> ClaimIn(Txn& txn, std::size_t limit, Duration lease) {
    const std::int64_t now = ToMicros(txn.now);
    const auto page = static_cast<std::int64_t>(limit);
    Cursor after_due;
    Cursor after_leased;
    bool due_done = false;
    bool leased_done = false;
    std::vector<Claim> claims;
    while (claims.size() < limit && !(due_done && leased_done)) {
      std::vector<Candidate> due, leased;
      if (!due_done) {
        HF_ASSIGN_OR_RETURN(due, Candidates(txn, false, now, after_due, page));
        due_done = static_cast<std::int64_t>(due.size()) < page;
      }
      if (!leased_done) {
        HF_ASSIGN_OR_RETURN(leased, Candidates(txn, true, now, after_leased, page));
        leased_done = static_cast<std::int64_t>(leased.size()) < page;
      }
      // A full page may have more rows after its last one: take nothing beyond it this round.
      std::optional<std::pair<std::int64_t, std::uint64_t>> bound;
      if (!due.empty() && !due_done) bound.emplace(due.back().at, due.back().seq);
      if (!leased.empty() && !leased_done) {
        const std::pair<std::int64_t, std::uint64_t> last{leased.back().at, leased.back().seq};
        if (!bound || last < *bound) bound = last;
      }
      std::vector<Candidate> merged;
      merged.reserve(due.size() + leased.size());
      std::merge(due.begin(), due.end(), leased.begin(), leased.end(), std::back_inserter(merged));
      for (const Candidate& c : merged) {
        if (claims.size() == limit) break;
        if (bound && *bound < std::pair{c.at, c.seq}) break;
        (c.leased ? after_leased : after_due) = Cursor{c.at, c.seq};
        HF_ASSIGN_OR_RETURN(auto locked, LockCandidate(txn, c.seq));
        // Held by another transaction, or claimed (or changed) since the range was read.
        if (!locked || !internal::Claimable(*locked, txn.now, options_.max_clock_skew)) continue;
        Record& record = *locked;
        bool passed_dead = false;
        if (!record.ordering_key.empty()) {
          HF_ASSIGN_OR_RETURN(auto first,
                              txn.FirstUnfinished(record.source(), record.ordering_key));
          if (first && *first < record.seq) continue;  // waits for an earlier one
          HF_ASSIGN_OR_RETURN(passed_dead,
                              txn.DeadBefore(record.source(), record.ordering_key, record.seq));
        }
        internal::ApplyClaim(record, txn.now, lease, options_.max_clock_skew);
        HF_RETURN_IF_ERROR(txn.Update(record));
        claims.push_back(Claim{std::move(record), passed_dead});
      }
    }
    return claims;
  }

  Result<std::size_t> SweepChunk(Txn& txn, SweepStats* stats) {
    const std::int64_t now = ToMicros(txn.now);
    const std::int64_t completed_cut = now - options_.retention.count();
    const std::int64_t dead_cut = now - options_.dead_retention.count();
    const std::int64_t key_cut = now - options_.key_retention.count();
    // Exactly the records SweepActionFor would drop or erase, oldest first; rows another
    // transaction holds are left for the next sweep.
    HF_ASSIGN_OR_RETURN(
        auto rows,
        txn.Query(std::string("SELECT ") + internal::kMysqlColumns +
                      " FROM events WHERE finished_at <= ? AND state IN (2, 3) AND"
                      " ((state = 2 AND finished_at <= ?) OR (state = 3 AND finished_at <= ?))"
                      " AND (tombstone = 0 OR finished_at <= ?)"
                      " ORDER BY finished_at LIMIT ? FOR UPDATE SKIP LOCKED",
                  {std::int64_t{std::max(completed_cut, dead_cut)}, std::int64_t{completed_cut},
                   std::int64_t{dead_cut}, std::int64_t{key_cut}, std::int64_t{kSweepChunk}}));
    for (const MysqlRow& row : rows) {
      HF_ASSIGN_OR_RETURN(Record record, internal::ReadMysqlRecord(row, false));
      switch (internal::SweepActionFor(record, txn.now, options_)) {
        case internal::SweepAction::kKeep:
          break;
        case internal::SweepAction::kDropPayload:
          internal::DropPayload(record, txn.now);
          HF_RETURN_IF_ERROR(txn.Update(record, /*drop_payload=*/true));
          ++stats->payloads_dropped;
          break;
        case internal::SweepAction::kErase:
          HF_RETURN_IF_ERROR(txn.Erase(record.key).status());
          ++stats->records_erased;
          break;
      }
    }
    return rows.size();
  }

  // The writer's work: one batch committed, then every call in it answered with its fate.
  void RunAndAnswer(std::vector<std::unique_ptr<WriteOp>>& batch) {
    // Rows are locked in key order (calls of one key keep their order), so that two gateways'
    // batches over the same keys queue behind each other instead of deadlocking.
    std::stable_sort(batch.begin(), batch.end(),
                     [](const auto& a, const auto& b) { return a->key() < b->key(); });
    const Status commit = RunBatch(batch);
    for (auto& op : batch) op->Finish(commit);
  }

  // Applies every operation of the batch in one transaction and commits it (one group commit);
  // the result is the fate of the whole batch. A deadlock or lock wait timeout runs the batch
  // again from the start, up to kMaxTransactionRuns times.
  Status RunBatch(std::vector<std::unique_ptr<WriteOp>>& batch) {
    Result<Done> done = Transact<Done>(
        [&](Txn& txn) -> Result<Done> {
          for (auto& op : batch) {
            txn.now = Now();
            op->Run(txn);
            if (txn.failed()) return txn.failure();
          }
          return Done{};
        },
        {}, batch.size());
    return done.ok() ? Status::Ok() : NotCommitted(done.status());
  }

  const MysqlParams params_;
  const StoreOptions options_;
  Pool pool_;         // reads, claims, owner operations, sweeps
  Pool writer_pool_;  // the writer's one connection

  // Declared last: stopped (in the destructor) before anything RunAndAnswer uses goes.
  internal::WriteQueue<WriteOp> writes_{options_.max_batch, options_.max_pending_writes,
                                        [this](auto& batch) { RunAndAnswer(batch); }};
};

}  // namespace

Result<std::unique_ptr<Store>> OpenMysqlStore(const StoreUrl& url, StoreOptions options) {
  HF_RETURN_IF_ERROR(internal::ValidateOptions(options));
  HF_ASSIGN_OR_RETURN(MysqlParams params, internal::MysqlParamsFromUrl(url));
  HF_RETURN_IF_ERROR(internal::MigrateMysqlSchema(params).status());
  auto store = std::make_unique<MysqlStore>(std::move(params), std::move(options));
  HF_RETURN_IF_ERROR(store->WarmUp());
  return std::unique_ptr<Store>(std::move(store));
}

Result<SchemaReport> MigrateMysqlStore(const StoreUrl& url) {
  HF_ASSIGN_OR_RETURN(MysqlParams params, internal::MysqlParamsFromUrl(url));
  return internal::MigrateMysqlSchema(params);
}

}  // namespace hookfence::store
