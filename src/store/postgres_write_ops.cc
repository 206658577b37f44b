#include "src/store/postgres_write_ops.h"

#include <utility>

#include "src/store/postgres_sql.h"
#include "src/store/record_codec.h"
#include "src/store/transitions.h"

namespace hookfence::store::internal {

std::int64_t GroupLockKey(std::string_view schema, std::string_view source,
                          std::string_view ordering_key) {
  std::uint64_t hash = 1469598103934665603ULL;
  auto mix = [&hash](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    hash ^= 0xff;  // separator: ("ab","c") and ("a","bc") differ
    hash *= 1099511628211ULL;
  };
  mix(schema);
  mix(source);
  mix(ordering_key);
  return static_cast<std::int64_t>(hash);
}

AcceptOp::AcceptOp(AcceptRequest request, const StoreOptions& options, const std::string& schema)
    : TypedWriteOp(std::move(request), options) {
  if (!request_.ordering_key.empty()) {
    lock_ = GroupLockKey(schema, SourceOf(request_.key), request_.ordering_key);
  }
}

PgStatement AcceptOp::Statement(Timestamp now, bool may_insert) {
  now_ = now;
  may_insert_ = may_insert;
  PgStatement s = Prepared(may_insert ? pg_sql::kAcceptInsert : pg_sql::kAcceptLookup);
  std::optional<std::int64_t> lease;
  if (request_.lease) lease = request_.lease->count();
  std::optional<std::string_view> ordering_key;
  if (!request_.ordering_key.empty()) ordering_key = request_.ordering_key;
  s.args.Int(ToMicros(now))
      .OptionalInt(lease)
      .Text(request_.key)
      .Text(SourceOf(request_.key))
      .Bytes(request_.fingerprint)
      .OptionalBytes(ordering_key)
      .Bytes(request_.payload.body)
      .Bytes(EncodeHeaders(request_.payload.headers));
  return s;
}

WriteOp::Step AcceptOp::Take(const PgResult& rows, int* inserted) {
  *inserted = 0;
  if (rows.rows() == 0) {
    if (may_insert_) return Step::kRunAgain;  // a row our snapshot could not see
    answer_.emplace(AcceptFull());
    return Step::kDone;
  }
  AcceptOutcome outcome;
  outcome.seq = static_cast<std::uint64_t>(rows.Int(0, 1));
  if (rows.Bool(0, 0)) {
    *inserted = 1;
    if (rows.Int(0, 2) == static_cast<int>(State::kInProgress)) {
      outcome.kind = AcceptOutcome::Kind::kInserted;
      outcome.fence = static_cast<std::uint64_t>(rows.Int(0, 3));
      outcome.lease_until = rows.OptionalTime(0, 4);
    } else {
      outcome.kind = AcceptOutcome::Kind::kQueued;
    }
    answer_.emplace(outcome);
    return Step::kDone;
  }
  Record existing;
  existing.seq = outcome.seq;
  existing.fingerprint = rows.Bytes(0, 5);
  answer_.emplace(AcceptExisting(existing, request_.fingerprint));
  return Step::kDone;
}

PgStatement BeginOp::Statement(Timestamp now, bool may_insert) {
  now_ = now;
  may_insert_ = may_insert;
  PgStatement s = Prepared(may_insert ? pg_sql::kBeginUpsert : pg_sql::kBeginTakeover);
  s.args.Int(ToMicros(now))
      .Int(request_.lease.count())
      .Bytes(kPgLostAttemptError)
      .Int4(static_cast<std::int32_t>(kAttemptLogSize))
      .Int(options_.max_clock_skew.count())
      .Text(request_.key)
      .Text(SourceOf(request_.key))
      .Bytes(request_.fingerprint)
      .Bytes(request_.payload.body)
      .Bytes(EncodeHeaders(request_.payload.headers));
  return s;
}

WriteOp::Step BeginOp::Take(const PgResult& rows, int* inserted) {
  *inserted = 0;
  if (rows.rows() == 0) {
    if (may_insert_) return Step::kRunAgain;  // a row our snapshot could not see
    answer_.emplace(BeginFull());
    return Step::kDone;
  }
  if (rows.Bool(0, 0)) {
    BeginOutcome outcome;
    outcome.kind = BeginOutcome::Kind::kAcquired;
    outcome.fence = static_cast<std::uint64_t>(rows.Int(0, 2));
    outcome.lease_until = rows.OptionalTime(0, 3);
    // Caller-driven records start at fence 1 and a takeover adds one: fence 1 is a new row.
    *inserted = outcome.fence == 1 ? 1 : 0;
    answer_.emplace(outcome);
    return Step::kDone;
  }
  Record existing;
  existing.seq = static_cast<std::uint64_t>(rows.Int(0, 1));
  existing.fence = static_cast<std::uint64_t>(rows.Int(0, 2));
  existing.lease_until = rows.OptionalTime(0, 3);
  existing.driver = static_cast<Driver>(rows.Int(0, 4));
  existing.state = static_cast<State>(rows.Int(0, 5));
  existing.fingerprint = rows.Bytes(0, 6);
  existing.due_at = rows.OptionalTime(0, 7);
  if (!rows.IsNull(0, 8)) {
    auto response = DecodeResponse(rows.Bytes(0, 8));
    if (!response.ok()) {
      answer_.emplace(response.status());
      return Step::kDone;
    }
    existing.response = std::move(*response);
  }
  bool changed = false;
  BeginOutcome outcome = BeginExisting(existing, request_, now_, options_.max_clock_skew, &changed);
  // The snapshot says "take it over" but the locked row said no: it changed since.
  if (changed) return Step::kRunAgain;
  answer_.emplace(std::move(outcome));
  return Step::kDone;
}

}  // namespace hookfence::store::internal
