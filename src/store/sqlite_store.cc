#include "src/store/sqlite_store.h"

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
#include "src/store/migration.h"
#include "src/store/read_modify_write_store.h"
#include "src/store/record_codec.h"
#include "src/store/sqlite_checkpointer.h"
#include "src/store/sqlite_connection.h"
#include "src/store/transitions.h"
#include "src/store/write_queue.h"

namespace hookfence::store {
namespace {

using internal::Connection;
using internal::Statement;
using internal::StatementRef;

constexpr std::size_t kMaxIdleReaders = 8;
constexpr std::size_t kSweepChunk = 500;
// WAL frames (pages) after which the checkpointer copies them into the database file: SQLite's
// own default for its automatic checkpoint.
constexpr int kCheckpointFrames = 1000;

// The columns every read selects, in this order; the payload columns come last so that writes,
// which never need the body, can leave them out.
constexpr char kColumns[] =
    "seq, key, fingerprint, driver, state, fence, lease_until, attempts, due_at, ordering_key, "
    "received_at, updated_at, finished_at, last_error, attempt_log, tombstone, response";
constexpr char kPayloadColumns[] = ", payload_body, payload_headers";

std::optional<Timestamp> OptionalTime(const Statement& row, int column) {
  auto micros = row.OptionalInt(column);
  if (!micros) return std::nullopt;
  return FromMicros(*micros);
}

std::optional<std::int64_t> OptionalMicros(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return ToMicros(*t);
}

Result<Record> ReadRecord(const Statement& row, bool with_payload) {
  Record r;
  r.seq = static_cast<std::uint64_t>(row.Int(0));
  r.key = row.Text(1);
  r.fingerprint = row.Text(2);
  r.driver = static_cast<Driver>(row.Int(3));
  r.state = static_cast<State>(row.Int(4));
  r.fence = static_cast<std::uint64_t>(row.Int(5));
  r.lease_until = OptionalTime(row, 6);
  r.attempts = static_cast<std::uint32_t>(row.Int(7));
  r.due_at = OptionalTime(row, 8);
  r.ordering_key = row.Text(9);
  r.received_at = FromMicros(row.Int(10));
  r.updated_at = FromMicros(row.Int(11));
  r.finished_at = OptionalTime(row, 12);
  r.last_error = row.Text(13);
  if (!row.IsNull(14)) {
    HF_ASSIGN_OR_RETURN(r.attempt_log, internal::DecodeAttemptLog(row.Text(14)));
  }
  r.tombstone = row.Int(15) != 0;
  if (!row.IsNull(16)) {
    HF_ASSIGN_OR_RETURN(r.response, internal::DecodeResponse(row.Text(16)));
  }
  if (with_payload && !row.IsNull(17)) {
    Payload payload;
    payload.body = row.Text(17);
    if (!row.IsNull(18)) {
      HF_ASSIGN_OR_RETURN(payload.headers, internal::DecodeHeaders(row.Text(18)));
    }
    r.payload = std::move(payload);
  }
  return r;
}

std::string SelectByKey(bool with_payload) {
  return std::string("SELECT ") + kColumns + (with_payload ? kPayloadColumns : "") +
         " FROM events WHERE key = ?1";
}

// One batch's transaction as the operations see it. Every SQL failure is remembered: the batch
// is then rolled back and every operation in it fails with that error.
class Txn {
 public:
  explicit Txn(Connection* db) : db_(db) {}

  Timestamp now;
  std::int64_t count_delta = 0;

  bool failed() const { return !failure_.ok(); }
  const Status& failure() const { return failure_; }

  Result<std::optional<Record>> Find(std::string_view key, bool with_payload) {
    HF_ASSIGN_OR_RETURN(StatementRef stmt, Prepare(SelectByKey(with_payload)));
    stmt->BindText(1, key);
    HF_ASSIGN_OR_RETURN(bool row, Check(stmt->Step()));
    if (!row) return std::optional<Record>();
    HF_ASSIGN_OR_RETURN(Record record, Check(ReadRecord(*stmt, with_payload)));
    return std::optional<Record>(std::move(record));
  }

  // Inserts a new record and assigns its seq.
  Status Insert(Record& r) {
    HF_ASSIGN_OR_RETURN(
        StatementRef stmt,
        Prepare("INSERT INTO events (key, source, fingerprint, driver, state, fence, lease_until, "
                "attempts, due_at, ordering_key, received_at, updated_at, finished_at, "
                "last_error, attempt_log, tombstone, response, payload_body, payload_headers) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                "?17, ?18, ?19)"));
    stmt->BindText(1, r.key);
    stmt->BindText(2, r.source());
    stmt->BindText(3, r.fingerprint);
    std::string attempt_log, response, headers;
    BindMutable(*stmt, r, 4, attempt_log, response);
    stmt->BindOptionalText(10, r.ordering_key);
    stmt->BindInt(11, ToMicros(r.received_at));
    if (r.payload) {
      stmt->BindBlob(18, r.payload->body);
      headers = internal::EncodeHeaders(r.payload->headers);
      stmt->BindBlob(19, headers);
    }
    HF_RETURN_IF_ERROR(Check(stmt->Run()));
    r.seq = static_cast<std::uint64_t>(db_->LastInsertRowid());
    ++count_delta;
    return Status::Ok();
  }

  // Writes every column a transition can change. The payload columns are never written from the
  // record (writes read records without their body); `drop_payload` clears them for retention.
  Status Update(const Record& r, bool drop_payload = false) {
    HF_ASSIGN_OR_RETURN(
        StatementRef stmt,
        Prepare("UPDATE events SET driver = ?4, state = ?5, fence = ?6, lease_until = ?7, "
                "attempts = ?8, due_at = ?9, updated_at = ?12, finished_at = ?13, "
                "last_error = ?14, attempt_log = ?15, tombstone = ?16, response = ?17 "
                "WHERE seq = ?1"));
    stmt->BindInt(1, static_cast<std::int64_t>(r.seq));
    std::string attempt_log, response;
    BindMutable(*stmt, r, 4, attempt_log, response);
    HF_RETURN_IF_ERROR(Check(stmt->Run()));
    if (drop_payload) {
      HF_ASSIGN_OR_RETURN(StatementRef clear,
                          Prepare("UPDATE events SET payload_body = NULL, payload_headers = NULL "
                                  "WHERE seq = ?1"));
      clear->BindInt(1, static_cast<std::int64_t>(r.seq));
      HF_RETURN_IF_ERROR(Check(clear->Run()));
    }
    return Status::Ok();
  }

  Status Erase(std::uint64_t seq) {
    HF_ASSIGN_OR_RETURN(StatementRef stmt, Prepare("DELETE FROM events WHERE seq = ?1"));
    stmt->BindInt(1, static_cast<std::int64_t>(seq));
    HF_RETURN_IF_ERROR(Check(stmt->Run()));
    count_delta -= db_->Changes();
    return Status::Ok();
  }

  // The lowest seq of an unfinished record of this ordering group, if any.
  Result<std::optional<std::uint64_t>> FirstUnfinished(std::string_view source,
                                                       std::string_view ordering_key) {
    HF_ASSIGN_OR_RETURN(StatementRef stmt,
                        Prepare("SELECT min(seq) FROM events WHERE source = ?1 AND "
                                "ordering_key = ?2 AND state IN (0, 1)"));
    stmt->BindText(1, source);
    stmt->BindText(2, ordering_key);
    HF_ASSIGN_OR_RETURN(bool row, Check(stmt->Step()));
    if (!row || stmt->IsNull(0)) return std::optional<std::uint64_t>();
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(stmt->Int(0)));
  }

  Result<bool> DeadBefore(std::string_view source, std::string_view ordering_key,
                          std::uint64_t seq) {
    HF_ASSIGN_OR_RETURN(StatementRef stmt,
                        Prepare("SELECT 1 FROM events WHERE source = ?1 AND ordering_key = ?2 "
                                "AND state = 3 AND seq < ?3 LIMIT 1"));
    stmt->BindText(1, source);
    stmt->BindText(2, ordering_key);
    stmt->BindInt(3, static_cast<std::int64_t>(seq));
    return Check(stmt->Step());
  }

  struct Row {
    std::string key;
    std::int64_t a = 0;
    std::int64_t b = 0;
  };
  // Rows of (key, integer, integer) from `sql`, which binds ?1..?n from `values`.
  Result<std::vector<Row>> Rows(const std::string& sql, const std::vector<std::int64_t>& values) {
    HF_ASSIGN_OR_RETURN(StatementRef stmt, Prepare(sql));
    for (std::size_t i = 0; i < values.size(); ++i) {
      stmt->BindInt(static_cast<int>(i + 1), values[i]);
    }
    std::vector<Row> rows;
    for (;;) {
      HF_ASSIGN_OR_RETURN(bool row, Check(stmt->Step()));
      if (!row) break;
      rows.push_back(Row{stmt->Text(0), stmt->Int(1), stmt->Int(2)});
    }
    return rows;
  }

  // Keys of records matching `sql` (which selects key, binds ?1..?n from `values`).
  Result<std::vector<std::string>> Keys(const std::string& sql,
                                        const std::vector<std::int64_t>& values) {
    HF_ASSIGN_OR_RETURN(StatementRef stmt, Prepare(sql));
    for (std::size_t i = 0; i < values.size(); ++i) {
      stmt->BindInt(static_cast<int>(i + 1), values[i]);
    }
    std::vector<std::string> keys;
    for (;;) {
      HF_ASSIGN_OR_RETURN(bool row, Check(stmt->Step()));
      if (!row) break;
      keys.push_back(stmt->Text(0));
    }
    return keys;
  }

  Status Exec(std::string_view sql) { return Check(db_->Exec(sql)); }

 private:
  // Binds the columns a transition may change, from parameter `first` (driver) on, in the order
  // of the INSERT statement. The encoded blobs live in the caller's strings until the step.
  static void BindMutable(Statement& stmt, const Record& r, int first, std::string& attempt_log,
                          std::string& response) {
    stmt.BindInt(first, static_cast<int>(r.driver));
    stmt.BindInt(first + 1, static_cast<int>(r.state));
    stmt.BindInt(first + 2, static_cast<std::int64_t>(r.fence));
    stmt.BindOptionalInt(first + 3, OptionalMicros(r.lease_until));
    stmt.BindInt(first + 4, r.attempts);
    stmt.BindOptionalInt(first + 5, OptionalMicros(r.due_at));
    stmt.BindInt(first + 8, ToMicros(r.updated_at));
    stmt.BindOptionalInt(first + 9, OptionalMicros(r.finished_at));
    stmt.BindText(first + 10, r.last_error);
    if (!r.attempt_log.empty()) {
      attempt_log = internal::EncodeAttemptLog(r.attempt_log);
      stmt.BindBlob(first + 11, attempt_log);
    }
    stmt.BindInt(first + 12, r.tombstone ? 1 : 0);
    if (r.response) {
      response = internal::EncodeResponse(*r.response);
      stmt.BindBlob(first + 13, response);
    }
  }

  Result<StatementRef> Prepare(const std::string& sql) { return Check(db_->Prepare(sql)); }

  template <typename T>
  Result<T> Check(Result<T> result) {
    if (!result.ok()) Remember(result.status());
    return result;
  }
  Status Check(Status status) {
    if (!status.ok()) Remember(status);
    return status;
  }
  void Remember(const Status& status) {
    if (failure_.ok()) failure_ = status;
  }

  Connection* db_;
  Status failure_;
};

using WriteOp = internal::TransactionalWriteOp<Txn>;
template <typename T>
using TypedWriteOp = internal::TypedTransactionalWriteOp<Txn, T>;

struct Done {};

Result<std::uint64_t> LoadRecordCount(Connection& db);

class SqliteStore final : public internal::ReadModifyWriteStore {
 public:
  SqliteStore(std::string path, StoreOptions options, std::unique_ptr<Connection> writer,
              std::unique_ptr<internal::WalCheckpointer> checkpointer, std::uint64_t record_count)
      : path_(std::move(path)),
        options_(std::move(options)),
        writer_(std::move(writer)),
        checkpointer_(std::move(checkpointer)),
        record_count_(record_count) {
    writes_.Start();
  }

  ~SqliteStore() override {
    writes_.Stop();
    checkpointer_.reset();  // before the writer connection it hooks into
  }

  StoreStats Stats() const override {
    StoreStats stats = writes_.Stats();
    stats.background_checkpoints = checkpointer_->background_checkpoints();
    stats.writer_checkpoints = checkpointer_->writer_checkpoints();
    return stats;
  }

  Result<AcceptOutcome> Accept(AcceptRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateAccept(request));
    return Write<AcceptOutcome>([&](Txn& txn) { return AcceptIn(txn, request); });
  }

  // Only queues the call: the writer answers `done` once the batch's commit is durable (or failed).
  void AcceptAsync(AcceptRequest request, AcceptCallback done) override {
    if (Status valid = internal::ValidateAccept(request); !valid.ok()) {
      done(valid, std::move(request.payload));
      return;
    }
    auto held = std::make_shared<AcceptRequest>(std::move(request));
    Queue<AcceptOutcome>([this, held](Txn& txn) { return AcceptIn(txn, *held); },
                         [held, done](Result<AcceptOutcome> result) {
                           done(std::move(result), std::move(held->payload));
                         });
  }
  bool queues_writes() const override { return true; }

  Result<BeginOutcome> Begin(BeginRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateBegin(request));
    return Write<BeginOutcome>([&](Txn& txn) -> Result<BeginOutcome> {
      HF_ASSIGN_OR_RETURN(auto existing, txn.Find(request.key, false));
      if (existing) {
        bool changed = false;
        BeginOutcome outcome =
            internal::BeginExisting(*existing, request, txn.now, options_.max_clock_skew, &changed);
        if (changed) HF_RETURN_IF_ERROR(txn.Update(*existing));
        return outcome;
      }
      if (AtCapacity(txn)) return internal::BeginFull();
      BeginOutcome outcome;
      Record record = internal::NewBegunRecord(std::move(request), txn.now, &outcome);
      HF_RETURN_IF_ERROR(txn.Insert(record));
      return outcome;
    });
  }

  Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) override {
    HF_RETURN_IF_ERROR(internal::ValidateClaim(limit, lease));
    return Write<std::vector<Claim>>([&](Txn& txn) { return ClaimIn(txn, limit, lease); });
  }

  Status Purge(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return StatusOf(Write<Done>([&](Txn& txn) -> Result<Done> {
      HF_ASSIGN_OR_RETURN(auto existing, txn.Find(key, false));
      if (!existing) return NotFoundError("no record for this key");
      HF_RETURN_IF_ERROR(txn.Erase(existing->seq));
      return Done{};
    }));
  }

  Result<Record> Get(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Read<Record>([&](Connection& db) -> Result<Record> {
      HF_ASSIGN_OR_RETURN(StatementRef stmt, db.Prepare(SelectByKey(true)));
      stmt->BindText(1, key);
      HF_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) return NotFoundError("no record for this key");
      return ReadRecord(*stmt, true);
    });
  }

  Result<ListPage> List(const ListFilter& filter) override {
    HF_RETURN_IF_ERROR(internal::ValidateListFilter(filter));
    const std::uint64_t after = internal::ParseCursor(filter.cursor).value();
    std::string sql = std::string("SELECT ") + kColumns + " FROM events WHERE seq > ?1";
    if (filter.state) sql += " AND state = ?2";
    if (!filter.source.empty()) sql += " AND source = ?3";
    if (filter.since) sql += " AND received_at >= ?4";
    if (filter.until) sql += " AND received_at < ?5";
    sql += " ORDER BY seq LIMIT ?6";
    return Read<ListPage>([&](Connection& db) -> Result<ListPage> {
      HF_ASSIGN_OR_RETURN(StatementRef stmt, db.Prepare(sql));
      stmt->BindInt(1, static_cast<std::int64_t>(after));
      if (filter.state) stmt->BindInt(2, static_cast<int>(*filter.state));
      if (!filter.source.empty()) stmt->BindText(3, filter.source);
      if (filter.since) stmt->BindInt(4, ToMicros(*filter.since));
      if (filter.until) stmt->BindInt(5, ToMicros(*filter.until));
      stmt->BindInt(6, static_cast<std::int64_t>(filter.limit) + 1);
      ListPage page;
      for (;;) {
        HF_ASSIGN_OR_RETURN(bool row, stmt->Step());
        if (!row) break;
        HF_ASSIGN_OR_RETURN(Record record, ReadRecord(*stmt, false));
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
    // Small batches, each its own transaction, so accepts interleave with a long sweep.
    SweepStats stats;
    for (;;) {
      HF_ASSIGN_OR_RETURN(std::size_t touched,
                          Write<std::size_t>([&](Txn& txn) { return SweepChunk(txn, &stats); }));
      if (touched < kSweepChunk) return stats;
    }
  }

  // One statement, so one read snapshot. Each count walks a partial index only: events_due
  // (split at now), events_leased and events_dead_letters, never the table.
  Result<QueueCounts> CountQueues() override {
    return Read<QueueCounts>([&](Connection& db) -> Result<QueueCounts> {
      HF_ASSIGN_OR_RETURN(
          StatementRef stmt,
          db.Prepare("SELECT"
                     " (SELECT count(*) FROM events WHERE driver = 0 AND state = 0 AND"
                     "  due_at <= ?1),"
                     " (SELECT count(*) FROM events WHERE driver = 0 AND state = 0),"
                     " (SELECT count(*) FROM events WHERE driver = 0 AND state = 1),"
                     " (SELECT count(*) FROM events WHERE driver = 0 AND state = 3 AND"
                     "  tombstone = 0)"));
      stmt->BindInt(1, ToMicros(Now()));
      HF_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) return InternalError("queue counts returned no row");
      QueueCounts counts;
      counts.due = static_cast<std::uint64_t>(stmt->Int(0));
      counts.scheduled = static_cast<std::uint64_t>(stmt->Int(1)) - counts.due;
      counts.leased = static_cast<std::uint64_t>(stmt->Int(2));
      counts.dead = static_cast<std::uint64_t>(stmt->Int(3));
      return counts;
    });
  }

  // Opens a reader connection now, so the first Get does not pay for it.
  Status WarmUp() {
    auto reader = Connection::Open(path_, false);
    if (!reader.ok()) return reader.status();
    HF_RETURN_IF_ERROR((*reader)->Exec("PRAGMA query_only = 1"));
    std::lock_guard lock(readers_mu_);
    idle_readers_.push_back(std::move(*reader));
    return Status::Ok();
  }

 private:
  Timestamp Now() const { return options_.clock->Now(); }

  bool AtCapacity(const Txn& txn) const {
    return options_.capacity != 0 && static_cast<std::int64_t>(record_count_) + txn.count_delta >=
                                         static_cast<std::int64_t>(options_.capacity);
  }

  template <typename T>
  static Status StatusOf(const Result<T>& result) {
    return result.status();
  }

  // Accept inside the writer's transaction. The payload is bound straight from `request` and
  // left there (not consumed), for AcceptAsync to hand back to its caller.
  Result<AcceptOutcome> AcceptIn(Txn& txn, AcceptRequest& request) {
    HF_ASSIGN_OR_RETURN(auto existing, txn.Find(request.key, false));
    if (existing) return internal::AcceptExisting(*existing, request.fingerprint);
    if (AtCapacity(txn)) return internal::AcceptFull();
    bool blocked = false;
    if (!request.ordering_key.empty()) {
      std::string_view key = request.key;
      HF_ASSIGN_OR_RETURN(auto first,
                          txn.FirstUnfinished(key.substr(0, key.find(':')), request.ordering_key));
      blocked = first.has_value();
    }
    const bool lease_granted = request.lease.has_value() && !blocked;
    AcceptOutcome outcome;
    Payload payload = std::move(request.payload);
    request.payload = Payload();
    Record record =
        internal::NewAcceptedRecord(AcceptRequest(request), txn.now, lease_granted, &outcome);
    record.payload = std::move(payload);
    const Status inserted = txn.Insert(record);
    request.payload = std::move(*record.payload);
    HF_RETURN_IF_ERROR(inserted);
    outcome.seq = record.seq;
    return outcome;
  }

  // Queues `fn` for the writer and waits until its batch is committed (or failed).
  template <typename T>
  Result<T> Write(std::function<Result<T>(Txn&)> fn) {
    auto op = std::make_unique<TypedWriteOp<T>>("", std::move(fn));
    auto answer = op->Answer();
    HF_RETURN_IF_ERROR(writes_.Push(std::move(op)));
    return answer.get();
  }

  // Queues `fn` for the writer; `done` gets its result on the writer thread once the batch's
  // fate is known (or at once when the queue refuses it).
  template <typename T>
  void Queue(std::function<Result<T>(Txn&)> fn, std::function<void(Result<T>)> done) {
    auto op = std::make_unique<TypedWriteOp<T>>("", std::move(fn), done);
    if (Status queued = writes_.Push(std::move(op)); !queued.ok()) done(queued);
  }

  // Read-modify-write of one existing record through the writer.
  Status Mutate(std::string_view key, const Change& change, bool with_payload) override {
    return StatusOf(Write<Done>(MutateIn(std::string(key), change, with_payload)));
  }
  void MutateAsync(std::string key, Change change, bool with_payload, WriteCallback done) override {
    Queue<Done>(MutateIn(std::move(key), std::move(change), with_payload),
                [done = std::move(done)](Result<Done> result) { done(result.status()); });
  }
  static std::function<Result<Done>(Txn&)> MutateIn(std::string key, Change change,
                                                    bool with_payload) {
    return
        [key = std::move(key), change = std::move(change), with_payload](Txn& txn) -> Result<Done> {
          HF_ASSIGN_OR_RETURN(auto record, txn.Find(key, with_payload));
          if (!record) return NotFoundError("no record for this key");
          HF_RETURN_IF_ERROR(change(*record, txn.now));
          HF_RETURN_IF_ERROR(txn.Update(*record));
          return Done{};
        };
  }

  template <typename T>
  Result<T> Read(const std::function<Result<T>(Connection&)>& fn) {
    std::unique_ptr<Connection> reader;
    {
      std::lock_guard lock(readers_mu_);
      if (!idle_readers_.empty()) {
        reader = std::move(idle_readers_.back());
        idle_readers_.pop_back();
      }
    }
    if (!reader) {
      HF_ASSIGN_OR_RETURN(reader, Connection::Open(path_, false));
      HF_RETURN_IF_ERROR(reader->Exec("PRAGMA query_only = 1"));
    }
    Result<T> result = fn(*reader);
    std::lock_guard lock(readers_mu_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
    return result;
  }

  // ClaimDue's candidates come from two partial indexes, each walked in its own order — PENDING
  // by due_at, lapsed leases by lease_until — and merged, so a claim reads only the rows it
  // hands out (plus those an ordering key holds back), never the whole backlog.
  struct Candidate {
    std::string key;
    std::int64_t at;  // when it became claimable (for a lease: lease_until + skew)
    std::int64_t seq;
    bool leased;  // from the lapsed-lease index
    bool operator<(const Candidate& o) const { return at != o.at ? at < o.at : seq < o.seq; }
  };

  Result<std::vector<Candidate>> Candidates(Txn& txn, bool leased, std::int64_t bound,
                                            const Candidate& after, std::int64_t page) {
    const std::int64_t skew = leased ? options_.max_clock_skew.count() : 0;
    const std::string sql =
        leased ? "SELECT key, lease_until, seq FROM events WHERE driver = 0 AND state = 1 AND "
                 "lease_until <= ?1 AND (lease_until, seq) > (?2, ?3) "
                 "ORDER BY lease_until, seq LIMIT ?4"
               : "SELECT key, due_at, seq FROM events WHERE driver = 0 AND state = 0 AND "
                 "due_at <= ?1 AND (due_at, seq) > (?2, ?3) ORDER BY due_at, seq LIMIT ?4";
    HF_ASSIGN_OR_RETURN(auto rows, txn.Rows(sql, {bound - skew, after.at - skew, after.seq, page}));
    std::vector<Candidate> out;
    out.reserve(rows.size());
    for (auto& row : rows)
      out.push_back(Candidate{std::move(row.key), row.a + skew, row.b, leased});
    return out;
  }

  Result<std::vector<Claim>> ClaimIn(Txn& txn, std::size_t limit, Duration lease) {
    const std::int64_t now = ToMicros(txn.now);
    const auto page = static_cast<std::int64_t>(std::max<std::size_t>(limit, 32));
    Candidate after_due{"", INT64_MIN / 2, 0, false};
    Candidate after_leased{"", INT64_MIN / 2, 0, true};
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
      std::optional<Candidate> bound;
      if (!due.empty() && !due_done) bound = due.back();
      if (!leased.empty() && !leased_done && (!bound || leased.back() < *bound)) {
        bound = leased.back();
      }
      std::vector<Candidate> merged;
      std::merge(due.begin(), due.end(), leased.begin(), leased.end(), std::back_inserter(merged));
      for (const Candidate& c : merged) {
        if (claims.size() == limit || (bound && *bound < c)) break;
        (c.leased ? after_leased : after_due) = c;
        HF_ASSIGN_OR_RETURN(auto record, txn.Find(c.key, true));
        if (!record || !internal::Claimable(*record, txn.now, options_.max_clock_skew)) continue;
        bool passed_dead = false;
        if (!record->ordering_key.empty()) {
          HF_ASSIGN_OR_RETURN(auto first,
                              txn.FirstUnfinished(record->source(), record->ordering_key));
          if (first && *first < record->seq) continue;  // waits for an earlier one
          HF_ASSIGN_OR_RETURN(passed_dead,
                              txn.DeadBefore(record->source(), record->ordering_key, record->seq));
        }
        internal::ApplyClaim(*record, txn.now, lease, options_.max_clock_skew);
        HF_RETURN_IF_ERROR(txn.Update(*record));
        claims.push_back(Claim{std::move(*record), passed_dead});
      }
    }
    return claims;
  }

  Result<std::size_t> SweepChunk(Txn& txn, SweepStats* stats) {
    const std::int64_t now = ToMicros(txn.now);
    const std::int64_t completed_cut = now - options_.retention.count();
    const std::int64_t dead_cut = now - options_.dead_retention.count();
    const std::int64_t key_cut = now - options_.key_retention.count();
    const std::int64_t chunk = kSweepChunk;
    // Exactly the records SweepActionFor would drop or erase, oldest first.
    HF_ASSIGN_OR_RETURN(auto keys,
                        txn.Keys("SELECT key FROM events WHERE state IN (2, 3) AND ("
                                 " (tombstone = 0 AND ((state = 2 AND finished_at <= ?1) OR"
                                 "                     (state = 3 AND finished_at <= ?2)))"
                                 " OR (finished_at <= ?3 AND ((state = 2 AND finished_at <= ?1) OR"
                                 "                            (state = 3 AND finished_at <= ?2))))"
                                 " ORDER BY finished_at LIMIT ?4",
                                 {completed_cut, dead_cut, key_cut, chunk}));
    for (const std::string& key : keys) {
      HF_ASSIGN_OR_RETURN(auto record, txn.Find(key, false));
      if (!record) continue;
      switch (internal::SweepActionFor(*record, txn.now, options_)) {
        case internal::SweepAction::kKeep:
          break;
        case internal::SweepAction::kDropPayload:
          internal::DropPayload(*record, txn.now);
          HF_RETURN_IF_ERROR(txn.Update(*record, /*drop_payload=*/true));
          ++stats->payloads_dropped;
          break;
        case internal::SweepAction::kErase:
          HF_RETURN_IF_ERROR(txn.Erase(record->seq));
          ++stats->records_erased;
          break;
      }
    }
    return keys.size();
  }

  // The writer's work: one batch committed, then every call in it answered with its fate.
  void RunAndAnswer(std::vector<std::unique_ptr<WriteOp>>& batch) {
    const Status commit = RunBatch(batch);
    for (auto& op : batch) op->Finish(commit);
  }

  // Applies every operation of the batch in one transaction and commits it; the result is the
  // fate of the whole batch.
  Status RunBatch(std::vector<std::unique_ptr<WriteOp>>& batch) {
    Status begin = writer_->Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) return begin;
    Txn txn(writer_.get());
    if (options_.capacity != 0) {
      // Other processes (a second gateway, `hookfence store sweep`) change the count too.
      auto count = LoadRecordCount(*writer_);
      if (!count.ok()) return Abort(count.status());
      record_count_ = *count;
    }
    for (auto& op : batch) {
      txn.now = Now();
      op->Run(txn);
      if (txn.failed()) break;
    }
    if (!txn.failed() && txn.count_delta != 0) {
      auto counter =
          writer_->Prepare("UPDATE store_meta SET value = value + ?1 WHERE name = 'record_count'");
      Status status = counter.status();
      if (status.ok()) {
        (*counter)->BindInt(1, txn.count_delta);
        status = (*counter)->Run();
      }
      if (!status.ok()) return Abort(status);
    }
    Status commit = txn.failure();
    if (commit.ok() && options_.before_commit_for_testing) {
      commit = options_.before_commit_for_testing(batch.size());
    }
    if (!commit.ok()) return Abort(commit);
    commit = writer_->Exec("COMMIT");
    if (!commit.ok()) return Abort(commit);
    record_count_ =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(record_count_) + txn.count_delta);
    return Status::Ok();
  }

  Status Abort(const Status& why) {
    writer_->Exec("ROLLBACK").IgnoreError();
    return why.code() == StatusCode::kUnavailable
               ? why
               : UnavailableError("write not committed: " + why.ToString());
  }

  const std::string path_;
  const StoreOptions options_;
  std::unique_ptr<Connection> writer_;  // owned by the writer thread after construction
  std::unique_ptr<internal::WalCheckpointer> checkpointer_;
  std::uint64_t record_count_;  // writer thread only

  // Declared last: stopped (in the destructor) before anything RunAndAnswer uses goes.
  internal::WriteQueue<WriteOp> writes_{options_.max_batch, options_.max_pending_writes,
                                        [this](auto& batch) { RunAndAnswer(batch); }};

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

// Switches to WAL and returns the journal mode SQLite actually chose.
Result<std::string> JournalMode(Connection& db) {
  HF_ASSIGN_OR_RETURN(StatementRef stmt, db.Prepare("PRAGMA journal_mode = WAL"));
  HF_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return InternalError("PRAGMA journal_mode returned no row");
  return stmt->Text(0);
}

Result<std::int64_t> SchemaVersion(Connection& db) {
  HF_ASSIGN_OR_RETURN(StatementRef stmt, db.Prepare("PRAGMA user_version"));
  HF_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return InternalError("PRAGMA user_version returned no row");
  return stmt->Int(0);
}

// store_meta's readable_by (see migration.h); 0 before it was first written.
Result<std::int64_t> ReadableBy(Connection& db, std::int64_t version) {
  if (version == 0) return 0;
  HF_ASSIGN_OR_RETURN(StatementRef stmt,
                      db.Prepare("SELECT value FROM store_meta WHERE name = 'readable_by'"));
  HF_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return 0;
  return stmt->Int(0);
}

// Applies the migrations the database lacks, in one IMMEDIATE transaction: a second process
// opening the same file waits for the first and then finds nothing left to do.
Result<SchemaReport> Migrate(Connection& db) {
  HF_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  auto fail = [&db](Status s) {
    db.Exec("ROLLBACK").IgnoreError();
    return s;
  };
  auto version = SchemaVersion(db);
  if (!version.ok()) return fail(version.status());
  auto readable_by = ReadableBy(db, *version);
  if (!readable_by.ok()) return fail(readable_by.status());
  auto plan = internal::PlanMigrations(internal::kSqliteMigrations, static_cast<int>(*version),
                                       static_cast<int>(*readable_by));
  if (!plan.ok()) return fail(plan.status());
  SchemaReport report;
  report.version_before = static_cast<int>(*version);
  report.version_after = plan->version_after;
  for (const internal::Migration* migration : plan->to_apply) {
    Status status = db.Exec(migration->sql);
    if (status.ok()) {
      status = db.Exec("PRAGMA user_version = " + std::to_string(migration->version));
    }
    if (!status.ok()) {
      return fail(InternalError(std::string("migration ") + migration->name +
                                " failed: " + status.message()));
    }
    report.applied.emplace_back(migration->name);
  }
  if (!plan->to_apply.empty()) {
    Status status =
        db.Exec("INSERT OR REPLACE INTO store_meta (name, value) VALUES ('readable_by', " +
                std::to_string(plan->readable_by_after) + ")");
    if (!status.ok()) return fail(status);
  }
  HF_RETURN_IF_ERROR(db.Exec("COMMIT"));
  return report;
}

Result<std::uint64_t> LoadRecordCount(Connection& db) {
  HF_ASSIGN_OR_RETURN(StatementRef stmt,
                      db.Prepare("SELECT value FROM store_meta WHERE name = 'record_count'"));
  HF_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return InternalError("store_meta has no record_count");
  return static_cast<std::uint64_t>(stmt->Int(0));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, StoreOptions options) {
  HF_RETURN_IF_ERROR(internal::ValidateOptions(options));
  HF_ASSIGN_OR_RETURN(auto writer, Connection::Open(path, false));
  // WAL: readers never block the writer; synchronous=FULL: a commit is on disk when it returns.
  HF_ASSIGN_OR_RETURN(std::string journal, JournalMode(*writer));
  if (journal != "wal") {
    return UnavailableError("sqlite database '" + path + "' cannot use WAL journaling (got '" +
                            journal + "'); it must be a file on a local file system");
  }
  HF_RETURN_IF_ERROR(writer->Exec("PRAGMA synchronous = FULL"));
  HF_RETURN_IF_ERROR(writer->Exec("PRAGMA cache_size = -65536"));
  HF_RETURN_IF_ERROR(writer->Exec("PRAGMA temp_store = MEMORY"));
  HF_RETURN_IF_ERROR(Migrate(*writer).status());
  HF_ASSIGN_OR_RETURN(std::uint64_t count, LoadRecordCount(*writer));
  HF_ASSIGN_OR_RETURN(auto checkpointer,
                      internal::WalCheckpointer::Start(path, *writer, kCheckpointFrames));
  auto store = std::make_unique<SqliteStore>(path, std::move(options), std::move(writer),
                                             std::move(checkpointer), count);
  HF_RETURN_IF_ERROR(store->WarmUp());
  return std::unique_ptr<Store>(std::move(store));
}

Result<SchemaReport> MigrateSqliteStore(const std::string& path) {
  HF_ASSIGN_OR_RETURN(auto db, Connection::Open(path, false));
  HF_RETURN_IF_ERROR(JournalMode(*db).status());
  return Migrate(*db);
}

}  // namespace hookfence::store
