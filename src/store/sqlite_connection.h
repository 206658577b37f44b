// Thin RAII wrappers over the SQLite C API: a connection and its cached prepared statements.
//
// Every SQLite failure comes back as a Status: kUnavailable for conditions worth retrying (busy,
// I/O error, disk full, read-only), kInternal for the rest.
// Thread-safety: a Connection (and its Statements) belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hookfence/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hookfence::store::internal {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bind by 1-based index. Text and blobs are copied only when `transient`.
  void BindInt(int index, std::int64_t value);
  void BindOptionalInt(int index, std::optional<std::int64_t> value);
  void BindText(int index, std::string_view value);
  void BindOptionalText(int index, std::string_view value);  // NULL when empty
  void BindBlob(int index, std::string_view value);
  void BindNull(int index);

  // Steps once: true with a row, false when done.
  Result<bool> Step();
  // Steps to the end, for statements that return no rows.
  Status Run();
  // Clears bindings and rewinds so the cached statement can be used again.
  void Reset();

  bool IsNull(int column) const;
  std::int64_t Int(int column) const;
  std::optional<std::int64_t> OptionalInt(int column) const;
  std::string Text(int column) const;  // also for blobs; empty for NULL

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A cached statement in use; rewinds it when dropped, so no statement keeps a read transaction
// (and its snapshot) open after its caller is done with it.
class StatementRef {
 public:
  explicit StatementRef(Statement* statement) : statement_(statement) {}
  StatementRef(StatementRef&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  StatementRef& operator=(StatementRef&&) = delete;
  ~StatementRef() {
    if (statement_ != nullptr) statement_->Reset();
  }
  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

class Connection {
 public:
  // Opens (creating if needed) the database at `path` with a busy timeout and WAL journaling.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  // A prepared statement cached by its SQL text, ready to bind. Owned by the connection; one
  // StatementRef per SQL text may be alive at a time.
  Result<StatementRef> Prepare(const std::string& sql);
  std::int64_t LastInsertRowid() const;
  int Changes() const;

  // The Status for the connection's last error, prefixed with `context`.
  Status Error(std::string_view context) const;
  // The SQLite handle, for the few calls this class does not wrap (the WAL hook).
  sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<Statement>> statements_;
};

// Maps an SQLite result code to a Status code (kUnavailable for transient conditions).
Status SqliteStatus(sqlite3* db, int rc, std::string_view context);

}  // namespace hookfence::store::internal
