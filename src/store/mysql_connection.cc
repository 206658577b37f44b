#include "src/store/mysql_connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>
#include <mutex>
#include <type_traits>
#include <utility>

namespace hookfence::store::internal {
namespace {

constexpr unsigned long kInitialColumnBuffer = 256;

// Errors that mean "the server is down, going away, or too busy right now": retry with backoff.
// Lock conflicts count too: the store retries them itself, and only a conflict that persists
// reaches the caller.
bool IsUnavailable(unsigned number) {
  if (number >= CR_MIN_ERROR && number <= CR_MAX_ERROR) return true;  // client side: no server
  switch (number) {
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_ACCESS_DENIED_ERROR:
    case ER_BAD_DB_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_ABORTING_CONNECTION:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
    case ER_QUERY_INTERRUPTED:
    case ER_CONNECTION_KILLED:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_OPTION_PREVENTS_STATEMENT:  // read_only: a replica, or a primary being switched over
      return true;
    default:
      return false;
  }
}

bool IsIntegerType(enum_field_types type) {
  switch (type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
      return true;
    default:
      return false;
  }
}

Result<unsigned> ParseSeconds(const std::string& name, const std::string& text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.back() == 's') digits.remove_suffix(1);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value < 1 ||
      value > 86400) {
    return InvalidArgumentError("mysql:// option " + name + "='" + text +
                                "' must be a whole number of seconds in 1..86400 (e.g. 5s)");
  }
  return value;
}

}  // namespace

Result<MysqlParams> MysqlParamsFromUrl(const StoreUrl& url) {
  MysqlParams params;
  params.host = url.host;
  params.port = url.port;
  params.user = url.user;
  params.password = url.password;
  params.database = url.database;
  for (const auto& [name, value] : url.options) {
    if (name == "pool_size") {
      std::size_t size = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), size);
      if (value.empty() || error != std::errc() || end != value.data() + value.size() || size < 1 ||
          size > 1000) {
        return InvalidArgumentError("mysql:// option pool_size='" + value +
                                    "' must be a whole number in 1..1000");
      }
      params.pool_size = size;
    } else if (name == "connect_timeout") {
      HF_ASSIGN_OR_RETURN(params.connect_timeout_s, ParseSeconds(name, value));
    } else if (name == "io_timeout") {
      HF_ASSIGN_OR_RETURN(params.io_timeout_s, ParseSeconds(name, value));
    } else if (name == "lock_wait_timeout") {
      HF_ASSIGN_OR_RETURN(params.lock_wait_timeout_s, ParseSeconds(name, value));
    } else {
      return InvalidArgumentError("unknown mysql:// option '" + name +
                                  "'; known: pool_size, connect_timeout, io_timeout, "
                                  "lock_wait_timeout");
    }
  }
  if (params.database.empty()) {
    return InvalidArgumentError("mysql:// URL needs a database: mysql://user:pass@host:port/db");
  }
  // A lock wait must end (and be retried) before the client gives up reading the answer.
  if (params.lock_wait_timeout_s >= params.io_timeout_s) {
    return InvalidArgumentError(
        "mysql:// option lock_wait_timeout must be shorter than io_timeout");
  }
  std::string host = params.host.empty() ? "localhost" : params.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  params.display = "mysql://" + (params.user.empty() ? "" : params.user + "@") + host +
                   (params.port != 0 ? ":" + std::to_string(params.port) : "") + "/" +
                   params.database;
  return params;
}

Result<std::unique_ptr<MysqlConnection>> MysqlConnection::Connect(const MysqlParams& params,
                                                                  bool multi_statements) {
  // mysql_init would initialise the library on first use, but not thread-safely.
  static std::once_flag library_once;
  std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return UnavailableError("mysql " + params.display + ": out of memory");
  const unsigned connect_timeout = params.connect_timeout_s;
  const unsigned io_timeout = params.io_timeout_s;
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const unsigned long flags = multi_statements ? CLIENT_MULTI_STATEMENTS : 0;
  if (mysql_real_connect(mysql, params.host.empty() ? nullptr : params.host.c_str(),
                         params.user.c_str(), params.password.c_str(), params.database.c_str(),
                         static_cast<unsigned>(params.port), nullptr, flags) == nullptr) {
    Status status =
        UnavailableError("mysql " + params.display + ": cannot connect: " + mysql_error(mysql) +
                         " (error " + std::to_string(mysql_errno(mysql)) + ")");
    mysql_close(mysql);
    return status;
  }
  std::unique_ptr<MysqlConnection> connection(new MysqlConnection(mysql, params.display));
  // READ COMMITTED: each statement reads the latest committed rows and InnoDB takes no gap locks
  // for ordinary reads and updates, so FOR UPDATE SKIP LOCKED claims and concurrent inserts of
  // new keys do not block each other on index gaps (REPEATABLE READ would, and would deadlock
  // more). Every decision that must be atomic reads through a row lock (FOR UPDATE, INSERT … ON
  // DUPLICATE KEY UPDATE), which sees the latest committed version at any isolation level.
  HF_RETURN_IF_ERROR(connection->Exec("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"));
  HF_RETURN_IF_ERROR(
      connection->Exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', "
                       "SESSION innodb_lock_wait_timeout = " +
                       std::to_string(params.lock_wait_timeout_s)));
  return connection;
}

MysqlConnection::MysqlConnection(st_mysql* mysql, std::string display)
    : mysql_(mysql), display_(std::move(display)) {}

MysqlConnection::~MysqlConnection() {
  for (auto& [sql, stmt] : statements_) mysql_stmt_close(stmt);
  mysql_close(mysql_);
}

bool MysqlConnection::IsLockConflict() const {
  return last_error_ == ER_LOCK_DEADLOCK || last_error_ == ER_LOCK_WAIT_TIMEOUT;
}

Status MysqlConnection::Fail(std::string_view what, unsigned number, const char* message) {
  last_error_ = number;
  std::string text = "mysql " + display_ + ": " + std::string(what) + ": " + message + " (error " +
                     std::to_string(number) + ")";
  return IsUnavailable(number) ? UnavailableError(std::move(text)) : InternalError(std::move(text));
}

Status MysqlConnection::Exec(std::string_view sql) {
  last_error_ = 0;
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return Fail("query failed", mysql_errno(mysql_), mysql_error(mysql_));
  }
  for (;;) {
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result != nullptr) {
      mysql_free_result(result);
    } else if (mysql_field_count(mysql_) != 0) {
      return Fail("reading a result failed", mysql_errno(mysql_), mysql_error(mysql_));
    }
    const int next = mysql_next_result(mysql_);
    if (next < 0) return Status::Ok();
    if (next > 0) return Fail("statement failed", mysql_errno(mysql_), mysql_error(mysql_));
  }
}

Result<st_mysql_stmt*> MysqlConnection::Prepare(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
  if (stmt == nullptr) return Fail("cannot prepare", mysql_errno(mysql_), mysql_error(mysql_));
  if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
    Status status = Fail("cannot prepare", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    mysql_stmt_close(stmt);
    return status;
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

Status MysqlConnection::Run(st_mysql_stmt* stmt, const std::vector<MysqlParam>& params) {
  if (mysql_stmt_param_count(stmt) != params.size()) {
    return InternalError("mysql statement takes " + std::to_string(mysql_stmt_param_count(stmt)) +
                         " parameters, got " + std::to_string(params.size()));
  }
  last_error_ = 0;
  static char empty = '\0';
  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<std::int64_t> integers(params.size());
  std::vector<unsigned long> lengths(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    MYSQL_BIND& bind = binds[i];
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            bind.buffer_type = MYSQL_TYPE_NULL;
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            integers[i] = value;
            bind.buffer_type = MYSQL_TYPE_LONGLONG;
            bind.buffer = &integers[i];
          } else {
            // BLOB parameters are binary on the server: no character set conversion.
            lengths[i] = static_cast<unsigned long>(value.size());
            bind.buffer_type = MYSQL_TYPE_BLOB;
            bind.buffer = value.empty() ? &empty : const_cast<char*>(value.data());
            bind.buffer_length = lengths[i];
            bind.length = &lengths[i];
          }
        },
        params[i]);
  }
  if (!binds.empty() && mysql_stmt_bind_param(stmt, binds.data()) != 0) {
    return Fail("cannot bind parameters", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
  }
  if (mysql_stmt_execute(stmt) != 0) {
    return Fail("statement failed", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
  }
  return Status::Ok();
}

Result<std::vector<MysqlRow>> MysqlConnection::Query(const std::string& sql,
                                                     const std::vector<MysqlParam>& params) {
  HF_ASSIGN_OR_RETURN(MYSQL_STMT * stmt, Prepare(sql));
  HF_RETURN_IF_ERROR(Run(stmt, params));
  MYSQL_RES* meta = mysql_stmt_result_metadata(stmt);
  if (meta == nullptr) return InternalError("mysql query returned no result set: " + sql);
  const unsigned columns = mysql_num_fields(meta);
  const MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  std::vector<MYSQL_BIND> binds(columns);
  std::vector<my_bool> nulls(columns);
  std::vector<unsigned long> lengths(columns);
  std::vector<std::int64_t> integers(columns);
  std::vector<std::string> buffers(columns);
  std::vector<bool> integer_column(columns);
  for (unsigned i = 0; i < columns; ++i) {
    MYSQL_BIND& bind = binds[i];
    bind.is_null = &nulls[i];
    bind.length = &lengths[i];
    integer_column[i] = IsIntegerType(fields[i].type);
    if (integer_column[i]) {
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = &integers[i];
      bind.is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
    } else {
      buffers[i].resize(kInitialColumnBuffer);
      bind.buffer_type = MYSQL_TYPE_BLOB;
      bind.buffer = buffers[i].data();
      bind.buffer_length = kInitialColumnBuffer;
    }
  }
  mysql_free_result(meta);
  if (columns != 0 && mysql_stmt_bind_result(stmt, binds.data()) != 0) {
    Status status = Fail("cannot bind results", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    mysql_stmt_free_result(stmt);
    return status;
  }
  std::vector<MysqlRow> rows;
  for (;;) {
    const int fetched = mysql_stmt_fetch(stmt);
    if (fetched == MYSQL_NO_DATA) break;
    if (fetched == 1) {
      Status status = Fail("fetching a row failed", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
      mysql_stmt_free_result(stmt);
      return status;
    }
    MysqlRow& row = rows.emplace_back();
    row.values_.resize(columns);
    for (unsigned i = 0; i < columns; ++i) {
      MysqlRow::Value& value = row.values_[i];
      value.null = nulls[i] != 0;
      if (value.null) continue;
      if (integer_column[i]) {
        value.integer = integers[i];
      } else if (lengths[i] <= kInitialColumnBuffer) {
        value.bytes.assign(buffers[i].data(), lengths[i]);
      } else {
        // Longer than the bound buffer (MYSQL_DATA_TRUNCATED): read the whole column.
        value.bytes.resize(lengths[i]);
        MYSQL_BIND whole{};
        unsigned long length = 0;
        whole.buffer_type = MYSQL_TYPE_BLOB;
        whole.buffer = value.bytes.data();
        whole.buffer_length = lengths[i];
        whole.length = &length;
        if (mysql_stmt_fetch_column(stmt, &whole, i, 0) != 0) {
          Status status =
              Fail("fetching a column failed", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
          mysql_stmt_free_result(stmt);
          return status;
        }
      }
    }
  }
  mysql_stmt_free_result(stmt);
  return rows;
}

Result<MysqlChange> MysqlConnection::Execute(const std::string& sql,
                                             const std::vector<MysqlParam>& params) {
  HF_ASSIGN_OR_RETURN(MYSQL_STMT * stmt, Prepare(sql));
  HF_RETURN_IF_ERROR(Run(stmt, params));
  MysqlChange change;
  change.affected_rows = mysql_stmt_affected_rows(stmt);
  change.insert_id = mysql_stmt_insert_id(stmt);
  if (mysql_stmt_field_count(stmt) != 0) mysql_stmt_free_result(stmt);
  return change;
}

}  // namespace hookfence::store::internal
