#include "src/store/postgres_store.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "hookfence/keys.h"
#include "src/store/connection_pool.h"
#include "src/store/postgres_connection.h"
#include "src/store/postgres_schema.h"
#include "src/store/postgres_sql.h"
#include "src/store/postgres_write_ops.h"
#include "src/store/record_codec.h"
#include "src/store/transitions.h"
#include "src/store/write_queue.h"

namespace hookfence::store {
namespace {

using internal::AcceptOp;
using internal::BeginOp;
using internal::OneOff;
using internal::PgArgs;
using internal::PgConnection;
using internal::PgParams;
using internal::PgResult;
using internal::PgStatement;
using internal::Prepared;
using internal::WriteOp;
namespace sql = internal::pg_sql;

using Pool = internal::ConnectionPool<PgConnection>;

constexpr int kCounterShards = 16;  // rows of hookfence_counters (0001_init.sql)
constexpr std::int64_t kSweepChunk = 500;
// A statement whose snapshot disagreed with the row it locked is run again this often at most;
// each retry sees a newer snapshot, so only a key that keeps changing under it gets this far.
constexpr int kMaxStatementRuns = 8;

// A record from the columns HF_PG_COLUMNS (then the payload columns), starting at `first`.
Result<Record> ReadRecord(const PgResult& rows, int row, int first, bool with_payload) {
  auto col = [first](int i) { return first + i; };
  Record r;
  r.seq = static_cast<std::uint64_t>(rows.Int(row, col(0)));
  r.key = rows.Bytes(row, col(1));
  r.fingerprint = rows.Bytes(row, col(2));
  r.driver = static_cast<Driver>(rows.Int(row, col(3)));
  r.state = static_cast<State>(rows.Int(row, col(4)));
  r.fence = static_cast<std::uint64_t>(rows.Int(row, col(5)));
  r.lease_until = rows.OptionalTime(row, col(6));
  r.attempts = static_cast<std::uint32_t>(rows.Int(row, col(7)));
  r.due_at = rows.OptionalTime(row, col(8));
  r.ordering_key = rows.Bytes(row, col(9));
  r.received_at = FromMicros(rows.Int(row, col(10)));
  r.updated_at = FromMicros(rows.Int(row, col(11)));
  r.finished_at = rows.OptionalTime(row, col(12));
  r.last_error = rows.Bytes(row, col(13));
  HF_ASSIGN_OR_RETURN(r.attempt_log, rows.AttemptLog(row, col(14)));
  r.tombstone = rows.Bool(row, col(15));
  if (!rows.IsNull(row, col(16))) {
    HF_ASSIGN_OR_RETURN(r.response, internal::DecodeResponse(rows.Bytes(row, col(16))));
  }
  if (with_payload && !rows.IsNull(row, col(17))) {
    Payload payload;
    payload.body = rows.Bytes(row, col(17));
    if (!rows.IsNull(row, col(18))) {
      HF_ASSIGN_OR_RETURN(payload.headers, internal::DecodeHeaders(rows.Bytes(row, col(18))));
    }
    r.payload = std::move(payload);
  }
  return r;
}

// An error that did not come from the rules (the server, the connection): kUnavailable, so the
// caller retries with backoff, unless it already is.
Status NotCommitted(const Status& why) {
  return why.code() == StatusCode::kUnavailable
             ? why
             : UnavailableError("write not committed: " + why.ToString());
}

// The answer of an owner statement (HF_PG_OWNER_ANSWER) when it changed nothing: the row as the
// statement's snapshot saw it.
struct OwnerRow {
  Record record;
  bool has_payload = false;
};

class PostgresStore final : public Store {
 public:
  PostgresStore(PgParams params, StoreOptions options, std::unique_ptr<Pool> pool)
      : params_(std::move(params)),
        options_(std::move(options)),
        pool_(std::move(pool)),
        next_shard_(std::random_device{}()) {
    writes_.Start();
  }

  ~PostgresStore() override { writes_.Stop(); }

  StoreStats Stats() const override { return writes_.Stats(); }

  Result<AcceptOutcome> Accept(AcceptRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateAccept(request));
    auto op = std::make_unique<AcceptOp>(std::move(request), options_, params_.schema);
    auto answer = op->Answer();
    HF_RETURN_IF_ERROR(Enqueue(std::move(op)));
    return answer.get();
  }

  Result<BeginOutcome> Begin(BeginRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateBegin(request));
    auto op = std::make_unique<BeginOp>(std::move(request), options_);
    auto answer = op->Answer();
    HF_RETURN_IF_ERROR(Enqueue(std::move(op)));
    return answer.get();
  }

  Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) override {
    HF_RETURN_IF_ERROR(internal::ValidateClaim(limit, lease));
    PgStatement s = Prepared(sql::kClaimDue);
    s.args.Int(ToMicros(Now()))
        .Int(lease.count())
        .Bytes(internal::kPgLostAttemptError)
        .Int4(static_cast<std::int32_t>(kAttemptLogSize))
        .Int(options_.max_clock_skew.count())
        .Int(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT32_MAX)));
    HF_ASSIGN_OR_RETURN(PgResult rows, Run(s));
    std::vector<std::pair<std::pair<std::int64_t, std::uint64_t>, Claim>> claimed;
    claimed.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) {
      HF_ASSIGN_OR_RETURN(Record record, ReadRecord(rows, row, 1, /*with_payload=*/true));
      const bool passed_dead = rows.Bool(row, 20);
      const std::pair<std::int64_t, std::uint64_t> order{rows.Int(row, 0), record.seq};
      claimed.emplace_back(order, Claim{std::move(record), passed_dead});
    }
    // Longest-due first (UPDATE … RETURNING has no order of its own).
    std::sort(claimed.begin(), claimed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Claim> claims;
    claims.reserve(claimed.size());
    for (auto& [order, claim] : claimed) claims.push_back(std::move(claim));
    return claims;
  }

  Status Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                  std::optional<Response> response) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    std::optional<std::string> encoded;
    if (response) encoded = internal::EncodeResponse(*response);
    return Owner(
               [&] {
                 PgStatement s = Prepared(sql::kComplete);
                 OwnerArgs(s.args, key, fence, attempt);
                 s.args.OptionalBytes(encoded ? std::optional<std::string_view>(*encoded)
                                              : std::nullopt);
                 return s;
               },
               [&](const OwnerRow& row) { return internal::CheckOwner(row.record, fence); })
        .status();
  }

  Status Fail(FailRequest request) override {
    HF_RETURN_IF_ERROR(ValidateKey(request.key));
    return Owner(
               [&] {
                 PgStatement s = Prepared(sql::kFail);
                 OwnerArgs(s.args, request.key, request.fence, request.attempt);
                 s.args.Bytes(request.error)
                     .Bool(request.dead)
                     .Int(request.dead ? 0 : ToMicros(request.retry_at));
                 return s;
               },
               [&](const OwnerRow& row) {
                 HF_RETURN_IF_ERROR(internal::CheckOwner(row.record, request.fence));
                 Record copy = row.record;
                 FailRequest probe;
                 probe.dead = request.dead;
                 return internal::ApplyFail(copy, Now(), std::move(probe));
               })
        .status();
  }

  Result<Timestamp> Renew(std::string_view key, std::uint64_t fence, Duration lease) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    HF_RETURN_IF_ERROR(internal::ValidateLease(lease));
    HF_ASSIGN_OR_RETURN(
        std::optional<Timestamp> lease_until,
        Owner(
            [&] {
              PgStatement s = Prepared(sql::kRenew);
              s.args.Int(ToMicros(Now()))
                  .Text(key)
                  .Int(static_cast<std::int64_t>(fence))
                  .Int(lease.count());
              return s;
            },
            [&](const OwnerRow& row) { return internal::CheckOwner(row.record, fence); }));
    if (!lease_until) return InternalError("renewed lease has no end");
    return *lease_until;
  }

  Status Release(std::string_view key, std::uint64_t fence) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Owner(
               [&] {
                 PgStatement s = Prepared(sql::kRelease);
                 s.args.Int(ToMicros(Now())).Text(key).Int(static_cast<std::int64_t>(fence));
                 return s;
               },
               [&](const OwnerRow& row) { return internal::CheckOwner(row.record, fence); })
        .status();
  }

  Status Replay(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Owner(
               [&] {
                 PgStatement s = Prepared(sql::kReplay);
                 s.args.Int(ToMicros(Now())).Text(key);
                 return s;
               },
               [&](const OwnerRow& row) {
                 Record copy = row.record;
                 if (row.has_payload) copy.payload = Payload{};
                 return internal::ApplyReplay(copy, Now());
               })
        .status();
  }

  Status Purge(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    PgStatement s = Prepared(sql::kPurge);
    s.args.Text(key).Int4(NextShard());
    HF_ASSIGN_OR_RETURN(PgResult rows, Run(s));
    if (rows.rows() != 1 || rows.Int(0, 0) == 0) return NotFoundError("no record for this key");
    return Status::Ok();
  }

  Result<Record> Get(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    PgStatement s = Prepared(sql::kGet);
    s.args.Text(key);
    HF_ASSIGN_OR_RETURN(PgResult rows, Run(s));
    if (rows.rows() == 0) return NotFoundError("no record for this key");
    return ReadRecord(rows, 0, 0, /*with_payload=*/true);
  }

  Result<ListPage> List(const ListFilter& filter) override {
    HF_RETURN_IF_ERROR(internal::ValidateListFilter(filter));
    const std::uint64_t after = internal::ParseCursor(filter.cursor).value();
    PgStatement s = OneOff("SELECT " HF_PG_COLUMNS("") " FROM events WHERE seq > $1");
    s.args.Int(static_cast<std::int64_t>(after));
    auto next = [&s] { return "$" + std::to_string(s.args.size() + 1); };
    if (filter.state) {
      s.text += " AND state = " + next();
      s.args.Int(static_cast<int>(*filter.state));
    }
    if (!filter.source.empty()) {
      s.text += " AND source = " + next();
      s.args.Text(filter.source);
    }
    if (filter.since) {
      s.text += " AND received_at >= " + next();
      s.args.Int(ToMicros(*filter.since));
    }
    if (filter.until) {
      s.text += " AND received_at < " + next();
      s.args.Int(ToMicros(*filter.until));
    }
    s.text += " ORDER BY seq LIMIT " + next();
    s.args.Int(static_cast<std::int64_t>(filter.limit) + 1);
    HF_ASSIGN_OR_RETURN(PgResult rows, Run(s));
    ListPage page;
    for (int row = 0; row < rows.rows(); ++row) {
      HF_ASSIGN_OR_RETURN(Record record, ReadRecord(rows, row, 0, /*with_payload=*/false));
      page.records.push_back(std::move(record));
    }
    if (page.records.size() > filter.limit) {
      page.records.resize(filter.limit);
      page.next_cursor = std::to_string(page.records.back().seq);
    }
    return page;
  }

  // Small chunks, each its own transaction, so writes interleave with a long sweep.
  Result<SweepStats> Sweep() override {
    SweepStats stats;
    for (;;) {
      const std::int64_t now = ToMicros(Now());
      PgStatement s = Prepared(sql::kSweepChunk);
      s.args.Int(now)
          .Int(now - options_.retention.count())
          .Int(now - options_.dead_retention.count())
          .Int(now - options_.key_retention.count())
          .Int(kSweepChunk)
          .Int4(NextShard());
      HF_ASSIGN_OR_RETURN(PgResult rows, Run(s));
      if (rows.rows() != 1) return InternalError("sweep returned no counts");
      stats.records_erased += static_cast<std::uint64_t>(rows.Int(0, 2));
      stats.payloads_dropped += static_cast<std::uint64_t>(rows.Int(0, 3));
      if (rows.Int(0, 0) < kSweepChunk && rows.Int(0, 1) < kSweepChunk) return stats;
    }
  }

  Result<QueueCounts> CountQueues() override {
    PgStatement s = Prepared(sql::kCountQueues);
    s.args.Int(ToMicros(Now()));
    HF_ASSIGN_OR_RETURN(PgResult rows, Run(s));
    if (rows.rows() != 1) return InternalError("queue counts returned no row");
    QueueCounts counts;
    counts.due = static_cast<std::uint64_t>(rows.Int(0, 0));
    counts.scheduled = static_cast<std::uint64_t>(rows.Int(0, 1)) - counts.due;
    counts.leased = static_cast<std::uint64_t>(rows.Int(0, 2));
    counts.dead = static_cast<std::uint64_t>(rows.Int(0, 3));
    return counts;
  }

 private:
  Timestamp Now() const { return options_.clock->Now(); }

  std::int32_t NextShard() {
    return static_cast<std::int32_t>(next_shard_.fetch_add(1) % kCounterShards);
  }

  // Runs one statement on a pooled connection; a connection that failed is discarded (and, when
  // the server went away, every idle one with it, so the next calls reconnect).
  Result<PgResult> Run(const PgStatement& statement) {
    HF_ASSIGN_OR_RETURN(Pool::Lease lease, pool_->Acquire());
    Result<PgResult> result = lease->Query(statement);
    if (!result.ok()) Drop(lease);
    return result;
  }

  void Drop(Pool::Lease& lease) {
    const bool lost = !lease->healthy();
    lease.Discard();
    if (lost) pool_->DropIdle();
  }

  void OwnerArgs(PgArgs& args, std::string_view key, std::uint64_t fence,
                 const Attempt& attempt) const {
    args.Int(ToMicros(Now()))
        .Text(key)
        .Int(static_cast<std::int64_t>(fence))
        .Int(ToMicros(attempt.at))
        .Int(static_cast<std::int64_t>(attempt.fence))
        .Int4(attempt.status)
        .Bytes(attempt.error)
        .Int(attempt.latency.count())
        .Int4(static_cast<std::int32_t>(kAttemptLogSize));
  }

  // Runs an owner statement (HF_PG_OWNER_ANSWER) until it either changed the row — returning
  // the row's lease_until — or the row, as its snapshot saw it, explains why not: `why` returns
  // that error, or Ok when the row should have been changed (then the statement runs again).
  Result<std::optional<Timestamp>> Owner(const std::function<PgStatement()>& build,
                                         const std::function<Status(const OwnerRow&)>& why) {
    for (int run = 0; run < kMaxStatementRuns; ++run) {
      HF_ASSIGN_OR_RETURN(PgResult rows, Run(build()));
      if (rows.rows() == 0) return NotFoundError("no record for this key");
      if (rows.Bool(0, 0)) return rows.OptionalTime(0, 4);
      OwnerRow row;
      row.record.driver = static_cast<Driver>(rows.Int(0, 1));
      row.record.state = static_cast<State>(rows.Int(0, 2));
      row.record.fence = static_cast<std::uint64_t>(rows.Int(0, 3));
      row.record.lease_until = rows.OptionalTime(0, 4);
      row.record.tombstone = rows.Bool(0, 5);
      row.has_payload = rows.Bool(0, 6);
      HF_RETURN_IF_ERROR(why(row));
    }
    return UnavailableError("the record kept changing under the update; try again");
  }

  // ---- The writer ----

  Status Enqueue(std::unique_ptr<WriteOp> op) {
    HF_RETURN_IF_ERROR(writes_.Push(std::move(op)));
    return Status::Ok();
  }

  // The writer's work: one batch committed, then every call in it answered with its fate.
  void RunAndAnswer(std::vector<std::unique_ptr<WriteOp>>& batch) {
    const Status commit = RunBatch(batch);
    for (auto& op : batch) op->Finish(commit);
  }

  // Commits the batch in one transaction and returns its fate. A call whose own statement fails
  // is excluded (it answers with its error) and the others run again in a new transaction.
  Status RunBatch(std::vector<std::unique_ptr<WriteOp>>& batch) {
    auto lease = pool_->Acquire();
    if (!lease.ok()) return NotCommitted(lease.status());
    // Rows are locked in key order (and group locks before rows), so batches of two gateways do
    // not deadlock (except around a statement that had to run again: see the restart below);
    // calls of one key keep their arrival order.
    std::vector<WriteOp*> live;
    for (auto& op : batch) live.push_back(op.get());
    std::stable_sort(live.begin(), live.end(),
                     [](const WriteOp* a, const WriteOp* b) { return a->key() < b->key(); });
    for (int restarts = 0;;) {
      WriteOp* culprit = nullptr;
      Status status = RunTransaction(**lease, live, &culprit);
      if (status.ok()) return status;
      if (!(*lease)->healthy()) {
        Drop(*lease);
        return NotCommitted(status);
      }
      if (!(*lease)->Query(OneOff("ROLLBACK")).ok()) {
        Drop(*lease);
        return NotCommitted(status);
      }
      // A deadlock victim (rare: retried calls lock out of key order) starts over; nothing of it
      // was committed.
      if (culprit == nullptr && internal::RolledBackByServer(status) && ++restarts < 3) continue;
      if (culprit == nullptr) return NotCommitted(status);
      culprit->Exclude(status);
      live.erase(std::remove(live.begin(), live.end(), culprit), live.end());
      if (live.empty()) return Status::Ok();
    }
  }

  // BEGIN, the group locks, every call's statement, then the record counter and COMMIT. Near
  // capacity the calls run one by one, each knowing the exact count. On failure, *culprit is the
  // call whose statement failed on its own (not the server or the connection), if any.
  Status RunTransaction(PgConnection& db, const std::vector<WriteOp*>& ops, WriteOp** culprit) {
    std::vector<std::int64_t> locks;
    for (const WriteOp* op : ops) {
      if (auto lock = op->group_lock()) locks.push_back(*lock);
    }
    std::sort(locks.begin(), locks.end());
    locks.erase(std::unique(locks.begin(), locks.end()), locks.end());

    std::vector<PgStatement> first;
    first.push_back(OneOff("BEGIN"));
    for (std::int64_t lock : locks) {
      PgStatement s = Prepared(sql::kGroupLock);
      s.args.Int(lock);
      first.push_back(std::move(s));
    }
    const bool counted = options_.capacity != 0;
    if (counted) first.push_back(Prepared(sql::kRecordCount));
    const std::size_t setup = first.size();
    std::vector<WriteOp*> pending;
    if (!counted) {
      for (WriteOp* op : ops) first.push_back(op->Statement(Now(), true));
      pending = ops;
    }
    HF_ASSIGN_OR_RETURN(auto results, db.Pipeline(first));
    for (std::size_t i = 0; i < setup; ++i) HF_RETURN_IF_ERROR(results[i].status());
    std::int64_t count = counted ? results[setup - 1]->Int(0, 0) : 0;
    std::int64_t added = 0;
    auto take = [&](std::vector<WriteOp*>& run, std::vector<Result<PgResult>>& rows,
                    std::size_t offset) -> Status {
      std::vector<WriteOp*> again;
      for (std::size_t i = 0; i < run.size(); ++i) {
        Result<PgResult>& result = rows[offset + i];
        if (!result.ok()) {
          // The first failure is the cause; the statements after it were skipped.
          if (result.status().code() != StatusCode::kUnavailable) *culprit = run[i];
          return result.status();
        }
        int inserted = 0;
        if (run[i]->Take(*result, &inserted) == WriteOp::Step::kRunAgain) {
          again.push_back(run[i]);
        }
        added += inserted;
      }
      run = std::move(again);
      return Status::Ok();
    };
    if (!counted) {
      HF_RETURN_IF_ERROR(take(pending, results, setup));
    } else {
      pending = ops;
    }
    for (int run = 1; !pending.empty(); ++run) {
      if (run > kMaxStatementRuns) {
        return UnavailableError("a key kept changing under the batch; try again");
      }
      if (!counted || count + added + static_cast<std::int64_t>(pending.size()) <=
                          static_cast<std::int64_t>(options_.capacity)) {
        std::vector<PgStatement> statements;
        for (WriteOp* op : pending) statements.push_back(op->Statement(Now(), true));
        HF_ASSIGN_OR_RETURN(auto rows, db.Pipeline(statements));
        HF_RETURN_IF_ERROR(take(pending, rows, 0));
        continue;
      }
      std::vector<WriteOp*> again;
      for (WriteOp* op : pending) {
        const bool room = count + added < static_cast<std::int64_t>(options_.capacity);
        std::vector<PgStatement> statements;
        statements.push_back(op->Statement(Now(), room));
        HF_ASSIGN_OR_RETURN(auto rows, db.Pipeline(statements));
        std::vector<WriteOp*> one = {op};
        HF_RETURN_IF_ERROR(take(one, rows, 0));
        again.insert(again.end(), one.begin(), one.end());
      }
      pending = std::move(again);
    }

    if (options_.before_commit_for_testing) {
      HF_RETURN_IF_ERROR(options_.before_commit_for_testing(ops.size()));
    }
    std::vector<PgStatement> last;
    if (added != 0) {
      PgStatement s = Prepared(sql::kAddRecords);
      s.args.Int(added).Int4(NextShard());
      last.push_back(std::move(s));
    }
    last.push_back(OneOff("COMMIT"));
    HF_ASSIGN_OR_RETURN(auto committed, db.Pipeline(last));
    for (auto& result : committed) HF_RETURN_IF_ERROR(result.status());
    return Status::Ok();
  }

  const PgParams params_;
  const StoreOptions options_;
  std::unique_ptr<Pool> pool_;
  std::atomic<std::uint32_t> next_shard_;

  // Declared last: stopped (in the destructor) before anything RunAndAnswer uses goes.
  internal::WriteQueue<WriteOp> writes_{options_.max_batch, options_.max_pending_writes,
                                        [this](auto& batch) { RunAndAnswer(batch); }};
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreUrl& url, StoreOptions options) {
  HF_RETURN_IF_ERROR(internal::ValidateOptions(options));
  HF_ASSIGN_OR_RETURN(PgParams params, internal::PgParamsFromUrl(url));
  auto pool =
      std::make_unique<Pool>([params] { return PgConnection::Connect(params); }, params.pool_size);
  {
    HF_ASSIGN_OR_RETURN(Pool::Lease lease, pool->Acquire());
    auto migrated = internal::MigratePgSchema(*lease, params);
    if (!migrated.ok()) {
      lease.Discard();
      return migrated.status();
    }
  }
  return std::unique_ptr<Store>(
      std::make_unique<PostgresStore>(std::move(params), std::move(options), std::move(pool)));
}

Result<SchemaReport> MigratePostgresStore(const StoreUrl& url) {
  HF_ASSIGN_OR_RETURN(PgParams params, internal::PgParamsFromUrl(url));
  HF_ASSIGN_OR_RETURN(auto db, PgConnection::Connect(params));
  return internal::MigratePgSchema(*db, params);
}

}  // namespace hookfence::store
