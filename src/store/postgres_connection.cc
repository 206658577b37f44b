#include "src/store/postgres_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <utility>

namespace hookfence::store::internal {
namespace {

constexpr std::string_view kSslModes[] = {"disable", "allow",     "prefer",
                                          "require", "verify-ca", "verify-full"};

Result<int> ParseBoundedInt(const std::string& name, const std::string& value, int low, int high) {
  int parsed = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size() || parsed < low || parsed > high) {
    return InvalidArgumentError("postgres store option '" + name + "' must be an integer from " +
                                std::to_string(low) + " to " + std::to_string(high) + ", got '" +
                                value + "'");
  }
  return parsed;
}

bool ValidSchemaName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// Big-endian integers as the binary wire format sends them.
std::int64_t ReadBigEndian(const char* bytes, int length) {
  if (length <= 0 || length > 8) return 0;
  std::uint64_t value = 0;
  for (int i = 0; i < length; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  // Sign-extend from `length` bytes.
  const int shift = 64 - 8 * length;
  return static_cast<std::int64_t>(value << shift) >> shift;
}

// A cursor over a binary value, for the array and record formats.
class BinaryReader {
 public:
  BinaryReader(const char* data, int length) : data_(data), left_(length) {}
  std::int64_t Int(int length) {
    if (left_ < length) {
      ok_ = false;
      return 0;
    }
    std::int64_t value = ReadBigEndian(data_, length);
    data_ += length;
    left_ -= length;
    return value;
  }
  std::string_view Bytes(int length) {
    if (length < 0 || left_ < length) {
      ok_ = false;
      return {};
    }
    std::string_view bytes(data_, static_cast<std::size_t>(length));
    data_ += length;
    left_ -= length;
    return bytes;
  }
  bool ok() const { return ok_; }

 private:
  const char* data_;
  int left_;
  bool ok_ = true;
};

// SQLSTATE classes that say "try again later" rather than "this statement is wrong": connection
// exceptions, transaction rollbacks (deadlock, serialization), insufficient resources, operator
// intervention (shutdown, cancel), system errors, and lock_not_available.
bool Transient(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return true;  // no SQLSTATE: a client-side (connection) failure
  const std::string_view cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58" ||
         sqlstate == "55P03";
}

std::string Trimmed(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

constexpr std::string_view kRollbackTag = "(SQLSTATE 40";

Status ErrorOf(PGresult* result) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state == nullptr ? "" : state;
  std::string message = "postgres: " + Trimmed(PQresultErrorMessage(result));
  if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
  return Transient(sqlstate) ? UnavailableError(std::move(message))
                             : InternalError(std::move(message));
}

Result<PgResult> Interpret(PGresult* result) {
  switch (PQresultStatus(result)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
      return PgResult(result);
    case PGRES_PIPELINE_ABORTED:
      PQclear(result);
      return UnavailableError("postgres: statement skipped: an earlier one in its batch failed");
    default: {
      Status status = ErrorOf(result);
      PQclear(result);
      return status;
    }
  }
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

bool RolledBackByServer(const Status& status) {
  return status.code() == StatusCode::kUnavailable &&
         status.message().find(kRollbackTag) != std::string::npos;
}

Result<PgParams> PgParamsFromUrl(const StoreUrl& url) {
  PgParams params;
  params.host = url.host;
  params.port = url.port;
  params.user = url.user;
  params.password = url.password;
  params.database = url.database;
  for (const auto& [name, value] : url.options) {
    if (name == "schema") {
      if (!ValidSchemaName(value)) {
        return InvalidArgumentError(
            "postgres store option 'schema' must be a lower-case identifier ([a-z_][a-z0-9_]*, "
            "at most 63 bytes), got '" +
            value + "'");
      }
      params.schema = value;
    } else if (name == "pool_size") {
      HF_ASSIGN_OR_RETURN(int size, ParseBoundedInt(name, value, 1, 1000));
      params.pool_size = static_cast<std::size_t>(size);
    } else if (name == "connect_timeout") {
      HF_ASSIGN_OR_RETURN(params.connect_timeout_s, ParseBoundedInt(name, value, 1, 3600));
    } else if (name == "io_timeout") {
      HF_ASSIGN_OR_RETURN(params.io_timeout_s, ParseBoundedInt(name, value, 1, 3600));
    } else if (name == "sslmode") {
      bool known = false;
      for (std::string_view mode : kSslModes) known = known || mode == value;
      if (!known) {
        return InvalidArgumentError(
            "postgres store option 'sslmode' must be disable, allow, prefer, require, "
            "verify-ca or verify-full, got '" +
            value + "'");
      }
      params.sslmode = value;
    } else {
      return InvalidArgumentError("unknown postgres store option '" + name +
                                  "' (known: schema, pool_size, connect_timeout, io_timeout, "
                                  "sslmode)");
    }
  }
  params.display = "postgres://" + (params.user.empty() ? "" : params.user + "@") +
                   (params.host.empty() ? "localhost" : params.host) +
                   (params.port == 0 ? "" : ":" + std::to_string(params.port)) + "/" +
                   params.database + "?schema=" + params.schema;
  return params;
}

// ---- PgArgs ----

PgArgs& PgArgs::Add(PgType type, std::string value, bool binary) {
  types_.push_back(static_cast<unsigned>(type));
  values_.push_back(std::move(value));
  nulls_.push_back(false);
  formats_.push_back(binary ? 1 : 0);
  return *this;
}
PgArgs& PgArgs::Int(std::int64_t value) { return Add(PgType::kInt8, std::to_string(value), false); }
PgArgs& PgArgs::Int4(std::int32_t value) {
  return Add(PgType::kInt4, std::to_string(value), false);
}
PgArgs& PgArgs::Bool(bool value) { return Add(PgType::kBool, value ? "t" : "f", false); }
PgArgs& PgArgs::Text(std::string_view value) {
  return Add(PgType::kText, std::string(value), false);
}
PgArgs& PgArgs::Bytes(std::string_view value) {
  return Add(PgType::kBytea, std::string(value), true);
}
PgArgs& PgArgs::OptionalInt(std::optional<std::int64_t> value) {
  return value ? Int(*value) : Null(PgType::kInt8);
}
PgArgs& PgArgs::OptionalBytes(std::optional<std::string_view> value) {
  return value ? Bytes(*value) : Null(PgType::kBytea);
}
PgArgs& PgArgs::Null(PgType type) {
  Add(type, "", false);
  nulls_.back() = true;
  return *this;
}

// ---- PgResult ----

PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::int64_t PgResult::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  return ReadBigEndian(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}

std::optional<std::int64_t> PgResult::OptionalInt(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Int(row, column);
}

std::optional<Timestamp> PgResult::OptionalTime(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return FromMicros(Int(row, column));
}

bool PgResult::Bool(int row, int column) const {
  return !IsNull(row, column) && PQgetvalue(result_, row, column)[0] != 0;
}

std::string PgResult::Bytes(int row, int column) const {
  if (IsNull(row, column)) return {};
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

// The binary array format: ndim, has-null flag, element type, then per dimension its size and
// lower bound, then each element as a length-prefixed record; a record is its column count, then
// per column the type, a length (-1: NULL) and the bytes.
Result<std::vector<Attempt>> PgResult::AttemptLog(int row, int column) const {
  std::vector<Attempt> log;
  if (IsNull(row, column)) return log;
  BinaryReader array(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
  const std::int64_t dimensions = array.Int(4);
  array.Int(4);  // has nulls
  array.Int(4);  // element type
  if (dimensions == 0) return log;
  const std::int64_t count = array.Int(4);
  array.Int(4);  // lower bound
  if (!array.ok() || dimensions != 1 || count < 0) {
    return InternalError("corrupt attempt log in store");
  }
  const Status corrupt = InternalError("corrupt attempt log in store");
  for (std::int64_t i = 0; i < count; ++i) {
    const std::string_view element = array.Bytes(static_cast<int>(array.Int(4)));
    if (!array.ok()) return corrupt;
    BinaryReader record(element.data(), static_cast<int>(element.size()));
    if (record.Int(4) != 5) return corrupt;
    // One column of the record: its bytes (empty when NULL).
    auto field = [&record] {
      record.Int(4);  // type
      const auto length = static_cast<int>(record.Int(4));
      return length < 0 ? std::string_view() : record.Bytes(length);
    };
    auto integer = [](std::string_view bytes) {
      return bytes.empty() ? 0 : ReadBigEndian(bytes.data(), static_cast<int>(bytes.size()));
    };
    Attempt attempt;
    attempt.at = FromMicros(integer(field()));
    attempt.fence = static_cast<std::uint64_t>(integer(field()));
    attempt.status = static_cast<int>(integer(field()));
    attempt.error = std::string(field());
    attempt.latency = Duration(integer(field()));
    if (!record.ok()) return corrupt;
    log.push_back(std::move(attempt));
  }
  return log;
}

// ---- PgConnection ----

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgParams& params) {
  std::vector<std::pair<std::string, std::string>> settings = {
      {"dbname", params.database},
      {"connect_timeout", std::to_string(params.connect_timeout_s)},
      // Names the schema too, so an operator can tell gateways of different stores apart.
      {"application_name", "hookfence:" + params.schema},
      {"client_encoding", "UTF8"},
  };
  if (!params.host.empty()) settings.emplace_back("host", params.host);
  if (params.port != 0) settings.emplace_back("port", std::to_string(params.port));
  if (!params.user.empty()) settings.emplace_back("user", params.user);
  if (!params.password.empty()) settings.emplace_back("password", params.password);
  if (!params.sslmode.empty()) settings.emplace_back("sslmode", params.sslmode);
  std::vector<const char*> keywords, values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 0);
  if (conn == nullptr) return UnavailableError("cannot connect to " + params.display);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return UnavailableError("cannot connect to " + params.display + ": " + why);
  }
  // The server's NOTICEs ("schema … already exists, skipping") are not for the user: libpq would
  // print them on stderr, in the middle of the CLI's output.
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  if (PQsetnonblocking(conn, 1) != 0) {
    PQfinish(conn);
    return UnavailableError("cannot set up the connection to " + params.display);
  }
  std::unique_ptr<PgConnection> connection(
      new PgConnection(conn, params.display, params.io_timeout_s));
  PgStatement setup;
  // The store's statements rely on READ COMMITTED (a fresh snapshot per statement, ON CONFLICT
  // waiting for concurrent inserts) and on commits being durable when they return.
  setup.text =
      "SELECT set_config('search_path', $1, false), "
      "set_config('synchronous_commit', 'on', false), "
      "set_config('default_transaction_isolation', 'read committed', false)";
  setup.args.Text("\"" + params.schema + "\"");
  HF_RETURN_IF_ERROR(connection->Query(setup).status());
  return connection;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::healthy() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

Status PgConnection::Lost(std::string_view what) {
  broken_ = true;
  return UnavailableError("postgres connection to " + display_ + " failed while " +
                          std::string(what) + ": " + Trimmed(PQerrorMessage(conn_)));
}

Status PgConnection::Collect(bool pipeline, std::size_t statements,
                             const std::function<void(std::size_t, pg_result*)>& take) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(io_timeout_s_);
  std::size_t index = 0;
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed < 0) return Lost("sending");
    if (PQconsumeInput(conn_) == 0) return Lost("receiving");
    while (PQisBusy(conn_) == 0) {
      PGresult* result = PQgetResult(conn_);
      if (result == nullptr) {
        if (!pipeline) return Status::Ok();  // the command is complete
        ++index;                             // the end of one statement's results
        continue;
      }
      if (pipeline && PQresultStatus(result) == PGRES_PIPELINE_SYNC) {
        PQclear(result);
        if (index != statements) return Lost("reading a pipeline (results out of step)");
        return Status::Ok();
      }
      take(index, result);
    }
    if (PQstatus(conn_) == CONNECTION_BAD) return Lost("receiving");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      broken_ = true;
      return UnavailableError("postgres server " + display_ + " did not answer within " +
                              std::to_string(io_timeout_s_) + " s (io_timeout)");
    }
    pollfd fd{PQsocket(conn_), static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return Lost("waiting");
    }
  }
}

Status PgConnection::Exec(const std::string& sql) {
  if (PQsendQuery(conn_, sql.c_str()) == 0) return Lost("sending");
  Status first;
  HF_RETURN_IF_ERROR(Collect(false, 1, [&](std::size_t, PGresult* result) {
    Result<PgResult> interpreted = Interpret(result);
    if (!interpreted.ok() && first.ok()) first = interpreted.status();
  }));
  return first;
}

Status PgConnection::Prepare(const PgSql& sql, const PgArgs& args) {
  if (PQsendPrepare(conn_, sql.name, sql.text, static_cast<int>(args.size()), args.types_.data()) ==
      0) {
    return Lost("sending");
  }
  Status first;
  HF_RETURN_IF_ERROR(Collect(false, 1, [&](std::size_t, PGresult* result) {
    Result<PgResult> interpreted = Interpret(result);
    if (!interpreted.ok() && first.ok()) first = interpreted.status();
  }));
  if (first.ok()) prepared_.insert(sql.name);
  return first;
}

Status PgConnection::Send(const PgStatement& statement) {
  const PgArgs& args = statement.args;
  std::vector<const char*> values(args.size());
  std::vector<int> lengths(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    values[i] = args.nulls_[i] ? nullptr : args.values_[i].data();
    lengths[i] = static_cast<int>(args.values_[i].size());
  }
  const int n = static_cast<int>(args.size());
  const int sent = statement.sql != nullptr
                       ? PQsendQueryPrepared(conn_, statement.sql->name, n, values.data(),
                                             lengths.data(), args.formats_.data(), 1)
                       : PQsendQueryParams(conn_, statement.text.c_str(), n, args.types_.data(),
                                           values.data(), lengths.data(), args.formats_.data(), 1);
  return sent == 0 ? Lost("sending") : Status::Ok();
}

Result<std::vector<Result<PgResult>>> PgConnection::Pipeline(
    const std::vector<PgStatement>& statements) {
  for (const PgStatement& statement : statements) {
    if (statement.sql != nullptr && !prepared_.contains(statement.sql->name)) {
      HF_RETURN_IF_ERROR(Prepare(*statement.sql, statement.args));
    }
  }
  if (PQenterPipelineMode(conn_) != 1) return Lost("entering pipeline mode");
  for (const PgStatement& statement : statements) HF_RETURN_IF_ERROR(Send(statement));
  if (PQpipelineSync(conn_) != 1) return Lost("sending");
  std::vector<std::optional<Result<PgResult>>> slots(statements.size());
  HF_RETURN_IF_ERROR(Collect(true, statements.size(), [&](std::size_t index, PGresult* result) {
    if (index < slots.size() && !slots[index]) {
      slots[index].emplace(Interpret(result));
    } else {
      PQclear(result);
    }
  }));
  if (PQexitPipelineMode(conn_) != 1) return Lost("leaving pipeline mode");
  std::vector<Result<PgResult>> results;
  results.reserve(slots.size());
  for (auto& slot : slots) {
    if (slot) {
      results.push_back(std::move(*slot));
    } else {
      results.push_back(InternalError("postgres: a statement returned no result"));
    }
  }
  return results;
}

Result<PgResult> PgConnection::Query(const PgStatement& statement) {
  std::vector<PgStatement> one;
  one.push_back(statement);
  HF_ASSIGN_OR_RETURN(auto results, Pipeline(one));
  return std::move(results[0]);
}

}  // namespace hookfence::store::internal
