// PgConnection: one libpq connection to a PostgreSQL server, set up for the hookfence store, with
// RAII results, parameterised statements (prepared once per connection) and pipelining: a batch of
// statements goes out in one write and its results come back in one read (libpq 15 pipeline
// mode), so a group commit of many operations costs a couple of round trips.
//
// Every wait on the server is bounded by the io timeout; a connection whose call failed for any
// reason other than an SQL error in a healthy session must be closed (ConnectionPool's Discard).
// Results are requested in binary format: integers arrive as big-endian bytes, BYTEA raw.
// Thread-safety: one thread at a time per connection; Connect may run on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "hookfence/record.h"
#include "hookfence/result.h"
#include "src/store/store_url.h"

struct pg_conn;
struct pg_result;

namespace hookfence::store::internal {

// Where and how to connect (from a postgres:// URL and its options).
struct PgParams {
  std::string host;  // empty: libpq's default (the local socket)
  int port = 0;      // 0: libpq's default (5432)
  std::string user;
  std::string password;
  std::string database;
  std::string schema = "hookfence";  // created if absent; every connection's search_path
  std::size_t pool_size = 8;
  int connect_timeout_s = 5;  // libpq connect_timeout
  int io_timeout_s = 30;      // longest wait for any answer of the server
  std::string sslmode;        // empty: libpq's default
  // "postgres://user@host:port/db?schema=…": the URL without its password, for messages.
  std::string display;
};

// Reads the URL's options: schema ([a-z_][a-z0-9_]*, at most 63 bytes), pool_size (1-1000),
// connect_timeout and io_timeout (seconds, 1-3600), sslmode (libpq's values). kInvalidArgument
// naming an unknown option or a bad value.
Result<PgParams> PgParamsFromUrl(const StoreUrl& url);

// True for an error of a transaction the server rolled back by itself (deadlock, serialization
// failure: SQLSTATE class 40): running the whole transaction again may succeed.
bool RolledBackByServer(const Status& status);

// The type of a statement parameter (PostgreSQL type OIDs).
enum class PgType : unsigned { kBool = 16, kBytea = 17, kInt8 = 20, kInt4 = 23, kText = 25 };

// Parameters of one statement, in order ($1, $2, …). Text travels as text (it must hold no NUL:
// only validated keys and names do), bytes as binary, integers as decimal text.
class PgArgs {
 public:
  PgArgs& Int(std::int64_t value);
  PgArgs& Int4(std::int32_t value);
  PgArgs& Bool(bool value);
  PgArgs& Text(std::string_view value);
  PgArgs& Bytes(std::string_view value);
  PgArgs& OptionalInt(std::optional<std::int64_t> value);
  PgArgs& OptionalBytes(std::optional<std::string_view> value);  // nullopt: NULL
  PgArgs& Null(PgType type);

  std::size_t size() const { return types_.size(); }

 private:
  friend class PgConnection;
  PgArgs& Add(PgType type, std::string value, bool binary);
  std::vector<unsigned> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> formats_;
};

// A statement prepared on every connection that runs it: `name` must be unique in the process
// and `text` constant (a static PgSql is the usual form).
struct PgSql {
  const char* name;
  const char* text;
};

// One statement to run: prepared (`sql`) or one-off (`text`), with its arguments.
struct PgStatement {
  const PgSql* sql = nullptr;
  std::string text;  // used when sql is null
  PgArgs args;
};

inline PgStatement Prepared(const PgSql& sql) {
  PgStatement statement;
  statement.sql = &sql;
  return statement;
}

inline PgStatement OneOff(std::string text) {
  PgStatement statement;
  statement.text = std::move(text);
  return statement;
}

// A statement's result rows (binary format). Owns the PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  // An int2, int4 or int8 column (0 for NULL).
  std::int64_t Int(int row, int column) const;
  std::optional<std::int64_t> OptionalInt(int row, int column) const;
  // An int8 column of microseconds since the epoch.
  std::optional<Timestamp> OptionalTime(int row, int column) const;
  bool Bool(int row, int column) const;
  // A text or bytea column's bytes (empty for NULL).
  std::string Bytes(int row, int column) const;
  // A hookfence_attempt[] column.
  Result<std::vector<Attempt>> AttemptLog(int row, int column) const;

 private:
  pg_result* result_ = nullptr;
};

class PgConnection {
 public:
  // Connects, sets search_path to the schema (which need not exist yet), synchronous_commit on
  // and READ COMMITTED. kUnavailable naming params.display when the server cannot be reached.
  static Result<std::unique_ptr<PgConnection>> Connect(const PgParams& params);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` (one or more statements, no parameters) to completion.
  Status Exec(const std::string& sql);

  // Runs one statement (in its own transaction unless one is open) and returns its rows.
  Result<PgResult> Query(const PgStatement& statement);

  // Sends every statement in one pipeline, ending with a sync point, and collects the results in
  // order. The outer error: the connection failed (kUnavailable) — nothing is known of the
  // statements. Otherwise one entry per statement: its rows, or its SQL error (kUnavailable for
  // transient server conditions, kInternal otherwise); statements after a failed one fail with
  // "aborted". Outside an explicit transaction the statements form one implicit transaction.
  Result<std::vector<Result<PgResult>>> Pipeline(const std::vector<PgStatement>& statements);

  // False once the connection to the server is lost.
  bool healthy() const;

 private:
  PgConnection(pg_conn* conn, std::string display, int io_timeout_s)
      : conn_(conn), display_(std::move(display)), io_timeout_s_(io_timeout_s) {}

  Status Prepare(const PgSql& sql, const PgArgs& args);
  Status Send(const PgStatement& statement);
  // Waits until every result of the current command (pipeline: up to its sync point) is in,
  // handing each non-null result to `take` together with the index of its statement.
  Status Collect(bool pipeline, std::size_t statements,
                 const std::function<void(std::size_t, pg_result*)>& take);
  Status Lost(std::string_view what);

  pg_conn* conn_;
  std::string display_;
  int io_timeout_s_;
  bool broken_ = false;  // a send, receive or wait failed: the session's state is unknown
  std::unordered_set<std::string> prepared_;
};

}  // namespace hookfence::store::internal
