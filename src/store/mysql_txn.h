// MysqlTxn: the MySQL store's rows as one transaction sees them — reading records, inserting a
// new key (INSERT … ON DUPLICATE KEY UPDATE), the fenced update of a transition, erasing, the
// ordering-group lock and the record count — with every SQL failure remembered, so that a whole
// batch rolls back (and, after a lock conflict, runs again) as one.
// Thread-safety: one thread at a time, like the connection it uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/record.h"
#include "hookfence/store.h"
#include "src/store/mysql_connection.h"

namespace hookfence::store::internal {

// The columns every read selects, in this order; the payload columns come last so that writes,
// which never need the body, can leave them out.
extern const char kMysqlColumns[];
extern const char kMysqlPayloadColumns[];

// A record from a row of kMysqlColumns (+ kMysqlPayloadColumns when `with_payload`).
Result<Record> ReadMysqlRecord(const MysqlRow& row, bool with_payload);

inline MysqlParam MysqlInt(std::uint64_t value) { return static_cast<std::int64_t>(value); }

class MysqlTxn {
 public:
  MysqlTxn(MysqlConnection* db, const StoreOptions& options) : db_(db), options_(options) {}

  Timestamp now;
  std::int64_t count_delta = 0;  // records added minus erased, for store_meta at commit

  bool failed() const { return !failure_.ok(); }
  const Status& failure() const { return failure_; }

  // The record of `key`, locked for this transaction (FOR UPDATE).
  Result<std::optional<Record>> Find(std::string_view key, bool with_payload);

  // Inserts `r` unless its key exists (INSERT … ON DUPLICATE KEY UPDATE with a no-op update,
  // which also locks an existing row for the Find that follows). True, with r.seq assigned, when
  // the row is new; it must then pass Admitted.
  Result<bool> InsertIfAbsent(Record& r);

  // Counts a row InsertIfAbsent just added. With a capacity the count is taken at once, only
  // while below the capacity (the counter row stays locked until commit, so gateways sharing the
  // database cannot overshoot together); when full the row is taken out again and false returned.
  Result<bool> Admitted(const Record& r);

  // Writes every column a transition can change. The payload columns are never written from the
  // record (writes read records without their body); `drop_payload` clears them for retention.
  Status Update(const Record& r, bool drop_payload = false);

  // Deletes by key; false when there was no such record.
  Result<bool> Erase(std::string_view key);

  // Serialises the Accepts of one ordering group until this transaction ends.
  Status LockOrderingGroup(std::string_view source, std::string_view ordering_key);

  // The lowest seq of an unfinished record of this ordering group, if any.
  Result<std::optional<std::uint64_t>> FirstUnfinished(std::string_view source,
                                                       std::string_view ordering_key);

  // True when a DEAD record of this ordering group precedes `seq`.
  Result<bool> DeadBefore(std::string_view source, std::string_view ordering_key,
                          std::uint64_t seq);

  // Any other statement, its failure remembered.
  Result<std::vector<MysqlRow>> Query(const std::string& sql,
                                      const std::vector<MysqlParam>& params);
  Result<MysqlChange> Execute(const std::string& sql, const std::vector<MysqlParam>& params);

 private:
  template <typename T>
  Result<T> Check(Result<T> result) {
    if (!result.ok() && failure_.ok()) failure_ = result.status();
    return result;
  }

  MysqlConnection* db_;
  const StoreOptions& options_;
  Status failure_;
};

}  // namespace hookfence::store::internal
