#include "src/store/mysql_txn.h"

#include <utility>

#include "src/store/record_codec.h"

namespace hookfence::store::internal {

const char kMysqlColumns[] =
    "seq, event_key, fingerprint, driver, state, fence, lease_until, attempts, due_at, "
    "ordering_key, received_at, updated_at, finished_at, last_error, attempt_log, tombstone, "
    "response";
const char kMysqlPayloadColumns[] = ", payload_body, payload_headers";

namespace {

std::optional<Timestamp> OptionalTime(const MysqlRow& row, std::size_t column) {
  auto micros = row.OptionalInt(column);
  if (!micros) return std::nullopt;
  return FromMicros(*micros);
}

MysqlParam OptionalMicros(const std::optional<Timestamp>& t) {
  if (!t) return nullptr;
  return std::int64_t{ToMicros(*t)};
}

// The encoded blobs of a record, alive while its statement runs.
struct EncodedFields {
  std::string attempt_log;
  std::string response;
  std::string headers;
};

// The columns a transition may change, in the order AppendMutable binds them.
constexpr char kMutableColumns[] =
    "driver, state, fence, lease_until, attempts, due_at, updated_at, finished_at, last_error, "
    "attempt_log, tombstone, response";

void AppendMutable(const Record& r, EncodedFields& encoded, std::vector<MysqlParam>& params) {
  params.emplace_back(std::int64_t{static_cast<int>(r.driver)});
  params.emplace_back(std::int64_t{static_cast<int>(r.state)});
  params.push_back(MysqlInt(r.fence));
  params.push_back(OptionalMicros(r.lease_until));
  params.emplace_back(std::int64_t{r.attempts});
  params.push_back(OptionalMicros(r.due_at));
  params.emplace_back(std::int64_t{ToMicros(r.updated_at)});
  params.push_back(OptionalMicros(r.finished_at));
  params.emplace_back(std::string_view(r.last_error));
  if (r.attempt_log.empty()) {
    params.emplace_back(nullptr);
  } else {
    encoded.attempt_log = EncodeAttemptLog(r.attempt_log);
    params.emplace_back(std::string_view(encoded.attempt_log));
  }
  params.emplace_back(std::int64_t{r.tombstone ? 1 : 0});
  if (r.response) {
    encoded.response = EncodeResponse(*r.response);
    params.emplace_back(std::string_view(encoded.response));
  } else {
    params.emplace_back(nullptr);
  }
}

// Unordered records keep NULL, so the ordering index holds only the ordered ones' values.
MysqlParam OrderingKeyParam(std::string_view ordering_key) {
  if (ordering_key.empty()) return nullptr;
  return ordering_key;
}

}  // namespace

Result<Record> ReadMysqlRecord(const MysqlRow& row, bool with_payload) {
  Record r;
  r.seq = static_cast<std::uint64_t>(row.Int(0));
  r.key = row.Bytes(1);
  r.fingerprint = row.Bytes(2);
  r.driver = static_cast<Driver>(row.Int(3));
  r.state = static_cast<State>(row.Int(4));
  r.fence = static_cast<std::uint64_t>(row.Int(5));
  r.lease_until = OptionalTime(row, 6);
  r.attempts = static_cast<std::uint32_t>(row.Int(7));
  r.due_at = OptionalTime(row, 8);
  r.ordering_key = row.Bytes(9);
  r.received_at = FromMicros(row.Int(10));
  r.updated_at = FromMicros(row.Int(11));
  r.finished_at = OptionalTime(row, 12);
  r.last_error = row.Bytes(13);
  if (!row.IsNull(14)) {
    HF_ASSIGN_OR_RETURN(r.attempt_log, DecodeAttemptLog(row.Bytes(14)));
  }
  r.tombstone = row.Int(15) != 0;
  if (!row.IsNull(16)) {
    HF_ASSIGN_OR_RETURN(r.response, DecodeResponse(row.Bytes(16)));
  }
  if (with_payload && !row.IsNull(17)) {
    Payload payload;
    payload.body = row.Bytes(17);
    if (!row.IsNull(18)) {
      HF_ASSIGN_OR_RETURN(payload.headers, DecodeHeaders(row.Bytes(18)));
    }
    r.payload = std::move(payload);
  }
  return r;
}

Result<std::optional<Record>> MysqlTxn::Find(std::string_view key, bool with_payload) {
  HF_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kMysqlColumns +
                                           (with_payload ? kMysqlPayloadColumns : "") +
                                           " FROM events WHERE event_key = ? FOR UPDATE",
                                       {key}));
  if (rows.empty()) return std::optional<Record>();
  HF_ASSIGN_OR_RETURN(Record record, Check(ReadMysqlRecord(rows[0], with_payload)));
  return std::optional<Record>(std::move(record));
}

Result<bool> MysqlTxn::InsertIfAbsent(Record& r) {
  std::string source(r.source());
  EncodedFields encoded;
  std::vector<MysqlParam> params = {std::string_view(r.key),
                                    std::string_view(source),
                                    std::string_view(r.fingerprint),
                                    OrderingKeyParam(r.ordering_key),
                                    std::int64_t{ToMicros(r.received_at)},
                                    nullptr,
                                    nullptr};
  if (r.payload) {
    encoded.headers = EncodeHeaders(r.payload->headers);
    params[5] = std::string_view(r.payload->body);
    params[6] = std::string_view(encoded.headers);
  }
  AppendMutable(r, encoded, params);
  HF_ASSIGN_OR_RETURN(
      MysqlChange change,
      Execute(std::string("INSERT INTO events (event_key, source, fingerprint, ordering_key, "
                          "received_at, payload_body, payload_headers, ") +
                  kMutableColumns +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "ON DUPLICATE KEY UPDATE seq = seq",
              params));
  if (change.affected_rows != 1) return false;
  r.seq = change.insert_id;
  return true;
}

Result<bool> MysqlTxn::Admitted(const Record& r) {
  if (options_.capacity == 0) {
    ++count_delta;
    return true;
  }
  HF_ASSIGN_OR_RETURN(
      MysqlChange taken,
      Execute("UPDATE store_meta SET value = value + 1 WHERE name = 'record_count' AND value < ?",
              {MysqlInt(options_.capacity)}));
  if (taken.affected_rows == 1) return true;
  HF_RETURN_IF_ERROR(Execute("DELETE FROM events WHERE seq = ?", {MysqlInt(r.seq)}).status());
  return false;
}

Status MysqlTxn::Update(const Record& r, bool drop_payload) {
  EncodedFields encoded;
  std::vector<MysqlParam> params;
  AppendMutable(r, encoded, params);
  params.push_back(MysqlInt(r.seq));
  return Execute(std::string("UPDATE events SET driver = ?, state = ?, fence = ?, "
                             "lease_until = ?, attempts = ?, due_at = ?, updated_at = ?, "
                             "finished_at = ?, last_error = ?, attempt_log = ?, tombstone = ?, "
                             "response = ?") +
                     (drop_payload ? ", payload_body = NULL, payload_headers = NULL" : "") +
                     " WHERE seq = ?",
                 params)
      .status();
}

Result<bool> MysqlTxn::Erase(std::string_view key) {
  HF_ASSIGN_OR_RETURN(MysqlChange change, Execute("DELETE FROM events WHERE event_key = ?", {key}));
  count_delta -= static_cast<std::int64_t>(change.affected_rows);
  return change.affected_rows != 0;
}

Status MysqlTxn::LockOrderingGroup(std::string_view source, std::string_view ordering_key) {
  return Execute(
             "INSERT INTO ordering_locks (source, ordering_key, used_at) VALUES (?, ?, ?) "
             "ON DUPLICATE KEY UPDATE used_at = GREATEST(used_at, ?)",
             {source, ordering_key, std::int64_t{ToMicros(now)}, std::int64_t{ToMicros(now)}})
      .status();
}

Result<std::optional<std::uint64_t>> MysqlTxn::FirstUnfinished(std::string_view source,
                                                               std::string_view ordering_key) {
  HF_ASSIGN_OR_RETURN(auto rows, Query("SELECT MIN(seq) FROM events WHERE source = ? AND "
                                       "ordering_key = ? AND state IN (0, 1)",
                                       {source, ordering_key}));
  if (rows.empty() || rows[0].IsNull(0)) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(rows[0].Int(0)));
}

Result<bool> MysqlTxn::DeadBefore(std::string_view source, std::string_view ordering_key,
                                  std::uint64_t seq) {
  HF_ASSIGN_OR_RETURN(auto rows, Query("SELECT 1 FROM events WHERE source = ? AND "
                                       "ordering_key = ? AND state = 3 AND seq < ? LIMIT 1",
                                       {source, ordering_key, MysqlInt(seq)}));
  return !rows.empty();
}

Result<std::vector<MysqlRow>> MysqlTxn::Query(const std::string& sql,
                                              const std::vector<MysqlParam>& params) {
  return Check(db_->Query(sql, params));
}
Result<MysqlChange> MysqlTxn::Execute(const std::string& sql,
                                      const std::vector<MysqlParam>& params) {
  return Check(db_->Execute(sql, params));
}

}  // namespace hookfence::store::internal
