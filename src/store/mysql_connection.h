// MysqlConnection: one client connection to a MySQL or MariaDB server through libmariadb
// (MariaDB Connector/C), with a cache of prepared statements, so the MySQL store never builds SQL
// text from data: keys, bodies and headers travel as bound binary parameters.
//
// A connection is set up for the store on open: utf8mb4, READ COMMITTED, strict SQL mode, the
// InnoDB lock wait bound, and read/write timeouts so a dead server fails a call instead of hanging
// it. After any error other than a lock conflict (IsLockConflict) its state is unknown: the owner
// must close it (ConnectionPool's Discard) and use a fresh one.
// Thread-safety: one thread at a time per connection; Connect may run on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "hookfence/result.h"
#include "src/store/store_url.h"

struct st_mysql;
struct st_mysql_stmt;

namespace hookfence::store::internal {

// Where and how to connect (from a mysql:// URL and its options).
struct MysqlParams {
  std::string host;  // empty: the client library's default (the local socket)
  int port = 0;      // 0: 3306
  std::string user;
  std::string password;
  std::string database;
  unsigned connect_timeout_s = 5;     // MYSQL_OPT_CONNECT_TIMEOUT
  unsigned io_timeout_s = 30;         // MYSQL_OPT_READ_TIMEOUT / MYSQL_OPT_WRITE_TIMEOUT
  unsigned lock_wait_timeout_s = 10;  // innodb_lock_wait_timeout of the session
  std::size_t pool_size = 8;
  // "mysql://user@host:port/db": the URL without its password, for messages.
  std::string display;
};

// Reads the URL's options (pool_size, connect_timeout, io_timeout, lock_wait_timeout).
// kInvalidArgument naming an unknown option or a bad value.
Result<MysqlParams> MysqlParamsFromUrl(const StoreUrl& url);

// A bound statement parameter: NULL, an integer, or bytes (sent as binary: no charset applies).
using MysqlParam = std::variant<std::nullptr_t, std::int64_t, std::string_view>;

// One result row. Integer columns are read as integers, every other column as bytes.
class MysqlRow {
 public:
  struct Value {
    bool null = true;
    std::int64_t integer = 0;
    std::string bytes;
  };

  bool IsNull(std::size_t column) const { return values_[column].null; }
  std::int64_t Int(std::size_t column) const { return values_[column].integer; }
  std::optional<std::int64_t> OptionalInt(std::size_t column) const {
    if (IsNull(column)) return std::nullopt;
    return values_[column].integer;
  }
  const std::string& Bytes(std::size_t column) const { return values_[column].bytes; }
  std::size_t size() const { return values_.size(); }

 private:
  friend class MysqlConnection;
  std::vector<Value> values_;
};

// What a statement without a result set did.
struct MysqlChange {
  std::uint64_t affected_rows = 0;  // INSERT … ON DUPLICATE KEY UPDATE: 1 inserted, 0 unchanged
  std::uint64_t insert_id = 0;      // the AUTO_INCREMENT value of an inserted row
};

class MysqlConnection {
 public:
  // Connects and sets the session up (see the file comment). kUnavailable naming params.display
  // (never the password) when the server cannot be reached or refuses the login.
  // `multi_statements`: allow several statements in one Exec (migrations only).
  static Result<std::unique_ptr<MysqlConnection>> Connect(const MysqlParams& params,
                                                          bool multi_statements = false);
  ~MysqlConnection();
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  // Runs text SQL (several statements when connected with multi_statements), discarding any
  // result sets. For fixed statements only: never interpolate data into `sql`.
  Status Exec(std::string_view sql);

  // Prepared statements, cached per connection by their text, with `params` bound in order.
  Result<std::vector<MysqlRow>> Query(const std::string& sql,
                                      const std::vector<MysqlParam>& params = {});
  Result<MysqlChange> Execute(const std::string& sql, const std::vector<MysqlParam>& params = {});

  // The server or client error number of the last failed call (0 if none failed).
  unsigned last_error() const { return last_error_; }
  // True when the last failure was a deadlock or a lock wait timeout: the transaction (or
  // statement) was rolled back by the server, the connection is sound, and retrying the whole
  // transaction is the remedy.
  bool IsLockConflict() const;
  // True when the last failure was the client's own (2000–2999): the server is gone or the
  // connection was cut. Nothing sent since the last COMMIT is committed.
  bool IsConnectionLost() const { return last_error_ >= 2000 && last_error_ <= 2999; }

 private:
  MysqlConnection(st_mysql* mysql, std::string display);
  Status Fail(std::string_view what, unsigned number, const char* message);
  Result<st_mysql_stmt*> Prepare(const std::string& sql);
  // Binds and executes; the statement's result set (if any) is left to the caller.
  Status Run(st_mysql_stmt* stmt, const std::vector<MysqlParam>& params);

  st_mysql* mysql_;
  std::string display_;
  std::unordered_map<std::string, st_mysql_stmt*> statements_;  // by their SQL text
  unsigned last_error_ = 0;
};

}  // namespace hookfence::store::internal
