#include "src/store/redis_store.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "hookfence/keys.h"
#include "src/store/connection_pool.h"
#include "src/store/migration.h"
#include "src/store/record_codec.h"
#include "src/store/redis_connection.h"
#include "src/store/redis_scripts.h"
#include "src/store/transitions.h"
#include "src/store/write_queue.h"

namespace hookfence::store {
namespace {

using internal::RedisConnection;
using internal::RedisEndpoint;
using internal::RedisReply;
using internal::RedisScript;
using internal::ReplyView;
using Pool = internal::ConnectionPool<RedisConnection>;
using Shas = std::array<std::string, internal::kRedisScriptCount>;

// Records one Sweep script looks at: small enough that Redis never stalls on a long sweep.
constexpr std::size_t kSweepChunk = 500;
// Candidates one ClaimDue script examines at most (those an ordering key holds back included).
constexpr std::size_t kClaimBudget = 10000;
// Entries one List script examines at most; the client continues until the page is full.
constexpr std::size_t kListBudget = 2000;
// The safety-net TTL of a finished record lies this far beyond all its retention periods.
constexpr Duration kTtlMargin = std::chrono::hours(24 * 30);

// Redis has no schema; its "migrations" are layout versions (migration.h's rules apply).
const std::vector<internal::Migration>& RedisLayouts() {
  static const std::vector<internal::Migration> layouts = {
      {1, "0001_layout", "-- hashes per record, sorted-set indexes (redis_scripts.h)"},
  };
  return layouts;
}

struct RedisConfig {
  RedisEndpoint endpoint;
  std::string prefix = "hookfence";
  std::size_t pool_size = 8;
};

Result<std::chrono::milliseconds> ParseTimeout(const std::string& name, std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, text.data() + text.size() - end);
  std::chrono::milliseconds out{0};
  if (error == std::errc() && end != text.data()) {
    if (unit == "ms") out = std::chrono::milliseconds(value);
    if (unit == "s" || unit.empty()) out = std::chrono::seconds(value);
    if (unit == "m") out = std::chrono::minutes(value);
  }
  if (out.count() <= 0 || out > std::chrono::hours(24)) {
    return InvalidArgumentError("redis store URL: " + name + " '" + std::string(text) +
                                "' is not a duration such as 5s or 500ms (at most 24h)");
  }
  return out;
}

Result<RedisConfig> ParseConfig(const StoreUrl& url) {
  RedisConfig config;
  RedisEndpoint& e = config.endpoint;
  if (!url.host.empty()) e.host = url.host;
  if (url.port != 0) e.port = url.port;
  e.user = url.user;
  e.password = url.password;
  if (!url.database.empty()) {
    const std::string& db = url.database;
    const auto [end, error] = std::from_chars(db.data(), db.data() + db.size(), e.db);
    if (error != std::errc() || end != db.data() + db.size() || e.db < 0) {
      return InvalidArgumentError("redis store URL: the path must be a database number, got '" +
                                  db + "'");
    }
  }
  for (const auto& [name, value] : url.options) {
    if (name == "prefix") {
      const bool printable =
          std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7F; });
      if (value.empty() || value.size() > 128 || !printable) {
        return InvalidArgumentError(
            "redis store URL: prefix must be 1-128 printable characters without spaces");
      }
      config.prefix = value;
    } else if (name == "pool_size") {
      const auto [end, error] =
          std::from_chars(value.data(), value.data() + value.size(), config.pool_size);
      if (error != std::errc() || end != value.data() + value.size() || config.pool_size == 0 ||
          config.pool_size > 1024) {
        return InvalidArgumentError("redis store URL: pool_size '" + value +
                                    "' is not a number in 1..1024");
      }
    } else if (name == "connect_timeout") {
      HF_ASSIGN_OR_RETURN(e.connect_timeout, ParseTimeout(name, value));
    } else if (name == "command_timeout") {
      HF_ASSIGN_OR_RETURN(e.command_timeout, ParseTimeout(name, value));
    } else {
      return InvalidArgumentError("redis store URL: unknown option '" + name +
                                  "'; known: prefix, pool_size, connect_timeout, command_timeout");
    }
  }
  return config;
}

std::string Micros(Timestamp t) { return std::to_string(ToMicros(t)); }
std::string Micros(Duration d) { return std::to_string(d.count()); }

// EVALSHA (or, after NOSCRIPT, EVAL) of `script` with no KEYS and `args` as ARGV. The views
// point into `shas` and `args`.
std::vector<std::string_view> ScriptCommand(const Shas& shas, RedisScript script,
                                            const std::vector<std::string>& args, bool by_sha) {
  std::vector<std::string_view> argv;
  argv.reserve(args.size() + 3);
  argv.push_back(by_sha ? "EVALSHA" : "EVAL");
  argv.push_back(by_sha ? std::string_view(shas[static_cast<int>(script)])
                        : std::string_view(internal::RedisScriptSource(script)));
  argv.push_back("0");
  for (const std::string& arg : args) argv.push_back(arg);
  return argv;
}

bool IsNoScript(ReplyView reply) { return reply.is_error() && reply.str().starts_with("NOSCRIPT"); }

// The Status of an error reply: kUnavailable for a server that cannot serve now, kInternal for
// a script that failed (a bug, or data this build cannot read).
Status ErrorReply(std::string_view doing, std::string_view message) {
  for (std::string_view transient : {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "OOM", "MISCONF",
                                     "NOREPLICAS", "TRYAGAIN", "NOAUTH", "NOPERM"}) {
    if (message.starts_with(transient)) {
      return UnavailableError("redis cannot " + std::string(doing) +
                              " now: " + std::string(message));
    }
  }
  return InternalError("redis failed to " + std::string(doing) + ": " + std::string(message));
}

// Runs `script` on one connection, loading it again when the server lost its script cache.
Result<RedisReply> RunScript(RedisConnection& connection, const Shas& shas, RedisScript script,
                             const std::vector<std::string>& args) {
  HF_ASSIGN_OR_RETURN(RedisReply reply,
                      connection.Command(ScriptCommand(shas, script, args, true)));
  if (!IsNoScript(reply.view())) return reply;
  return connection.Command(ScriptCommand(shas, script, args, false));
}

// A script's reply: an array whose first element names the outcome.
Result<ReplyView> Outcome(const RedisReply& reply, RedisScript script) {
  ReplyView view = reply.view();
  if (view.is_error()) return ErrorReply(internal::RedisScriptName(script), view.str());
  if (!view.is_array()) {
    return InternalError(std::string("redis script ") + internal::RedisScriptName(script) +
                         " returned no array");
  }
  return view;
}

// The owner operations' refusals, worded as transitions.h words them.
Status OwnerRefusal(ReplyView out) {
  const std::string_view outcome = out[0].str();
  if (outcome == "ok") return Status::Ok();
  if (outcome == "notfound") return NotFoundError("no record for this key");
  if (outcome == "aborted") {
    return AbortedError("stale fence: the record is no longer owned by this fence");
  }
  if (outcome == "precondition") {
    return FailedPreconditionError(out.size() > 1 ? std::string(out[1].str())
                                                  : "caller-driven records never go dead");
  }
  return InternalError("redis script answered '" + std::string(outcome) + "'");
}

// One queued write: a script and its ARGV (ARGV[2], now, is filled in when the batch is sent).
struct WriteOp {
  RedisScript script;
  std::vector<std::string> args;
  std::promise<Result<RedisReply>> answer;
};

class RedisStore final : public Store {
 public:
  RedisStore(RedisConfig config, StoreOptions options, Shas shas)
      : config_(std::move(config)),
        options_(std::move(options)),
        shas_(std::move(shas)),
        pool_([endpoint = config_.endpoint] { return RedisConnection::Open(endpoint); },
              config_.pool_size),
        ttl_ms_(std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(
                options_.retention + options_.key_retention + options_.dead_retention + kTtlMargin)
                .count())) {
    writes_.Start();
  }

  ~RedisStore() override { writes_.Stop(); }

  StoreStats Stats() const override { return writes_.Stats(); }

  Result<AcceptOutcome> Accept(AcceptRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateAccept(request));
    HF_ASSIGN_OR_RETURN(
        RedisReply reply,
        Write(RedisScript::kAccept,
              {config_.prefix, "", request.key, request.fingerprint,
               request.lease ? Micros(*request.lease) : "", request.ordering_key,
               request.payload.body, internal::EncodeHeaders(request.payload.headers),
               std::to_string(options_.capacity)}));
    HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, RedisScript::kAccept));
    const std::string_view outcome = out[0].str();
    if (outcome == "full") return internal::AcceptFull();
    AcceptOutcome result;
    result.seq = static_cast<std::uint64_t>(out[1].integer());
    if (outcome == "duplicate" || outcome == "mismatch") {
      result.kind =
          outcome == "duplicate" ? AcceptOutcome::Kind::kDuplicate : AcceptOutcome::Kind::kMismatch;
      return result;
    }
    if (outcome != "inserted" && outcome != "queued") {
      return InternalError("redis accept answered '" + std::string(outcome) + "'");
    }
    result.kind =
        outcome == "inserted" ? AcceptOutcome::Kind::kInserted : AcceptOutcome::Kind::kQueued;
    result.fence = static_cast<std::uint64_t>(out[2].integer());
    if (!out[3].str().empty()) result.lease_until = FromMicros(out[3].integer());
    return result;
  }

  Result<BeginOutcome> Begin(BeginRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateBegin(request));
    HF_ASSIGN_OR_RETURN(
        RedisReply reply,
        Write(RedisScript::kBegin,
              {config_.prefix, "", request.key, request.fingerprint, Micros(request.lease),
               request.payload.body, internal::EncodeHeaders(request.payload.headers),
               std::to_string(options_.capacity), Micros(options_.max_clock_skew)}));
    HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, RedisScript::kBegin));
    const std::string_view outcome = out[0].str();
    BeginOutcome result;
    if (outcome == "full") return internal::BeginFull();
    if (outcome == "mismatch") {
      result.kind = BeginOutcome::Kind::kMismatch;
    } else if (outcome == "dead") {
      result.kind = BeginOutcome::Kind::kDead;
    } else if (outcome == "completed") {
      result.kind = BeginOutcome::Kind::kCompleted;
      if (out.size() > 1 && !out[1].is_nil()) {
        HF_ASSIGN_OR_RETURN(result.response, internal::DecodeResponse(out[1].str()));
      }
    } else if (outcome == "inprogress") {
      result.kind = BeginOutcome::Kind::kInProgress;
      if (!out[1].str().empty()) result.lease_until = FromMicros(out[1].integer());
    } else if (outcome == "acquired") {
      result.kind = BeginOutcome::Kind::kAcquired;
      result.fence = static_cast<std::uint64_t>(out[1].integer());
      result.lease_until = FromMicros(out[2].integer());
    } else {
      return InternalError("redis begin answered '" + std::string(outcome) + "'");
    }
    return result;
  }

  Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) override {
    HF_RETURN_IF_ERROR(internal::ValidateClaim(limit, lease));
    HF_ASSIGN_OR_RETURN(RedisReply reply,
                        Write(RedisScript::kClaimDue,
                              {config_.prefix, "", std::to_string(limit), Micros(lease),
                               Micros(options_.max_clock_skew), std::to_string(kClaimBudget)}));
    HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, RedisScript::kClaimDue));
    std::vector<Claim> claims;
    claims.reserve(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      ReplyView claim = out[i];
      if (claim.size() != 3) return InternalError("redis claim_due returned a malformed claim");
      HF_ASSIGN_OR_RETURN(Record record,
                          internal::ParseRedisRecord(std::string(claim[1].str()), claim[2]));
      claims.push_back(Claim{std::move(record), claim[0].str() == "1"});
    }
    return claims;
  }

  Status Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                  std::optional<Response> response) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Owner(RedisScript::kComplete,
                 {config_.prefix, "", std::string(key), std::to_string(fence),
                  internal::EncodeRedisAttempt(attempt), response ? "1" : "0",
                  response ? internal::EncodeResponse(*response) : "", ttl_ms_});
  }

  Status Fail(FailRequest request) override {
    HF_RETURN_IF_ERROR(ValidateKey(request.key));
    return Owner(RedisScript::kFail,
                 {config_.prefix, "", request.key, std::to_string(request.fence),
                  internal::EncodeRedisAttempt(request.attempt), request.error,
                  request.dead ? "1" : "0", Micros(request.retry_at), ttl_ms_});
  }

  Result<Timestamp> Renew(std::string_view key, std::uint64_t fence, Duration lease) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    HF_RETURN_IF_ERROR(internal::ValidateLease(lease));
    HF_ASSIGN_OR_RETURN(RedisReply reply,
                        Write(RedisScript::kRenew, {config_.prefix, "", std::string(key),
                                                    std::to_string(fence), Micros(lease)}));
    HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, RedisScript::kRenew));
    HF_RETURN_IF_ERROR(OwnerRefusal(out));
    return FromMicros(out[1].integer());
  }

  Status Release(std::string_view key, std::uint64_t fence) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Owner(RedisScript::kRelease,
                 {config_.prefix, "", std::string(key), std::to_string(fence)});
  }

  Status Replay(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Owner(RedisScript::kReplay, {config_.prefix, "", std::string(key)});
  }

  Status Purge(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    return Owner(RedisScript::kPurge, {config_.prefix, "", std::string(key)});
  }

  // One HGETALL: a single command is atomic, so the record is one snapshot.
  Result<Record> Get(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    const std::string hash = config_.prefix + ":r:" + std::string(key);
    return Read<Record>([&](RedisConnection& connection) -> Result<Record> {
      HF_ASSIGN_OR_RETURN(RedisReply reply, connection.Command({"HGETALL", hash}));
      ReplyView view = reply.view();
      if (view.is_error()) return ErrorReply("read a record", view.str());
      if (view.size() == 0) return NotFoundError("no record for this key");
      return internal::ParseRedisRecord(std::string(key), view);
    });
  }

  // Pages through P:all (or the source's set) by seq; each script examines a bounded stretch,
  // so a sparse filter costs several round trips rather than one long stall of the server.
  Result<ListPage> List(const ListFilter& filter) override {
    HF_RETURN_IF_ERROR(internal::ValidateListFilter(filter));
    std::uint64_t after = internal::ParseCursor(filter.cursor).value();
    const std::size_t wanted = filter.limit + 1;  // one more tells whether a next page exists
    ListPage page;
    for (;;) {
      std::vector<std::string> args = {
          config_.prefix,
          Micros(Now()),
          std::to_string(after),
          std::to_string(wanted - page.records.size()),
          filter.state ? std::to_string(static_cast<int>(*filter.state)) : "",
          filter.source,
          filter.since ? Micros(*filter.since) : "",
          filter.until ? Micros(*filter.until) : "",
          std::to_string(kListBudget)};
      bool finished = false;
      HF_RETURN_IF_ERROR(
          Read<bool>([&](RedisConnection& connection) -> Result<bool> {
            HF_ASSIGN_OR_RETURN(RedisReply reply,
                                RunScript(connection, shas_, RedisScript::kList, args));
            HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, RedisScript::kList));
            if (out.size() != 3) return InternalError("redis list returned a malformed page");
            after = static_cast<std::uint64_t>(out[0].integer());
            finished = out[1].str() == "1";
            for (std::size_t i = 0; i < out[2].size(); ++i) {
              ReplyView pairs = out[2][i];
              std::string key;
              for (std::size_t j = 0; j + 1 < pairs.size(); j += 2) {
                if (pairs[j].str() == "key") key = pairs[j + 1].str();
              }
              HF_ASSIGN_OR_RETURN(Record record, internal::ParseRedisRecord(std::move(key), pairs));
              page.records.push_back(std::move(record));
            }
            return true;
          }).status());
      if (page.records.size() >= wanted || finished) break;
    }
    if (page.records.size() > filter.limit) {
      page.records.resize(filter.limit);
      page.next_cursor = std::to_string(page.records.back().seq);
    }
    return page;
  }

  // Chunk by chunk, each its own script, so accepts interleave with a long sweep.
  Result<SweepStats> Sweep() override {
    SweepStats stats;
    for (;;) {
      HF_ASSIGN_OR_RETURN(
          RedisReply reply,
          Write(RedisScript::kSweep,
                {config_.prefix, "", Micros(options_.retention), Micros(options_.dead_retention),
                 Micros(options_.key_retention), std::to_string(kSweepChunk)}));
      HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, RedisScript::kSweep));
      if (out.size() != 3) return InternalError("redis sweep returned a malformed answer");
      const auto dropped = static_cast<std::uint64_t>(out[0].integer());
      const auto erased = static_cast<std::uint64_t>(out[1].integer());
      stats.payloads_dropped += dropped;
      stats.records_erased += erased;
      // A chunk that changed nothing holds only records a change of retention left behind.
      if (static_cast<std::size_t>(out[2].integer()) < kSweepChunk || dropped + erased == 0) {
        return stats;
      }
    }
  }

  // One script, so one snapshot.
  Result<QueueCounts> CountQueues() override {
    const std::vector<std::string> args = {config_.prefix, Micros(Now())};
    return Read<QueueCounts>([&](RedisConnection& connection) -> Result<QueueCounts> {
      HF_ASSIGN_OR_RETURN(RedisReply reply,
                          RunScript(connection, shas_, RedisScript::kCountQueues, args));
      HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, RedisScript::kCountQueues));
      if (out.size() != 4) return InternalError("redis count_queues returned a malformed answer");
      QueueCounts counts;
      counts.due = static_cast<std::uint64_t>(out[0].integer());
      counts.scheduled = static_cast<std::uint64_t>(out[1].integer()) - counts.due;
      counts.leased = static_cast<std::uint64_t>(out[2].integer());
      counts.dead = static_cast<std::uint64_t>(out[3].integer());
      return counts;
    });
  }

 private:
  Timestamp Now() const { return options_.clock->Now(); }

  Status Owner(RedisScript script, std::vector<std::string> args) {
    HF_ASSIGN_OR_RETURN(RedisReply reply, Write(script, std::move(args)));
    HF_ASSIGN_OR_RETURN(ReplyView out, Outcome(reply, script));
    return OwnerRefusal(out);
  }

  // `fn` on a pooled connection; a connection that broke is dropped, with the idle ones (the
  // server probably went away: they are stale too).
  template <typename T>
  Result<T> Read(const std::function<Result<T>(RedisConnection&)>& fn) {
    HF_ASSIGN_OR_RETURN(Pool::Lease lease, pool_.Acquire());
    Result<T> result = fn(*lease);
    if (lease->broken()) {
      lease.Discard();
      pool_.DropIdle();
    }
    return result;
  }

  // Queues a script for the writer and waits for its reply.
  Result<RedisReply> Write(RedisScript script, std::vector<std::string> args) {
    auto op = std::make_unique<WriteOp>(WriteOp{script, std::move(args), {}});
    auto answer = op->answer.get_future();
    HF_RETURN_IF_ERROR(writes_.Push(std::move(op)));
    return answer.get();
  }

  // The writer's work: one batch sent as one pipeline, then every call answered with its reply.
  void RunAndAnswer(std::vector<std::unique_ptr<WriteOp>>& batch) {
    std::vector<Result<RedisReply>> replies = SendBatch(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->answer.set_value(std::move(replies[i]));
    }
  }

  // Sends the batch as one pipeline and returns each operation's reply (or why it has none).
  std::vector<Result<RedisReply>> SendBatch(std::vector<std::unique_ptr<WriteOp>>& batch) {
    auto all = [&](const Status& status) {
      std::vector<Result<RedisReply>> out;
      out.reserve(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) out.emplace_back(status);
      return out;
    };
    if (options_.before_commit_for_testing) {
      Status status = options_.before_commit_for_testing(batch.size());
      if (!status.ok()) {
        return all(status.code() == StatusCode::kUnavailable
                       ? status
                       : UnavailableError("write not sent: " + status.ToString()));
      }
    }
    auto lease = pool_.Acquire();
    if (!lease.ok()) return all(lease.status());
    RedisConnection& connection = **lease;
    const std::string now = Micros(Now());
    for (auto& op : batch) op->args[1] = now;

    std::vector<std::optional<Result<RedisReply>>> replies(batch.size());
    std::vector<std::size_t> reload;  // NOSCRIPT: the server lost its script cache; nothing ran
    Status failure;
    std::size_t sent = 0;
    for (; sent < batch.size() && failure.ok(); ++sent) {
      failure =
          connection.Append(ScriptCommand(shas_, batch[sent]->script, batch[sent]->args, true));
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (failure.ok() && i < sent) {
        Result<RedisReply> reply = connection.Read();
        if (reply.ok() && IsNoScript(reply->view())) {
          reload.push_back(i);
          continue;
        }
        if (!reply.ok()) failure = reply.status();
        replies[i] = std::move(reply);
      } else {
        replies[i] = Result<RedisReply>(failure);
      }
    }
    for (std::size_t i : reload) {
      if (failure.ok()) {
        failure = connection.Append(ScriptCommand(shas_, batch[i]->script, batch[i]->args, false));
      }
    }
    for (std::size_t i : reload) {
      replies[i] = failure.ok() ? connection.Read() : Result<RedisReply>(failure);
      if (!replies[i]->ok()) failure = replies[i]->status();
    }
    if (connection.broken()) {
      lease->Discard();
      pool_.DropIdle();
    }
    std::vector<Result<RedisReply>> out;
    out.reserve(batch.size());
    for (auto& reply : replies) out.push_back(std::move(*reply));
    return out;
  }

  const RedisConfig config_;
  const StoreOptions options_;
  const Shas shas_;
  Pool pool_;
  const std::string ttl_ms_;  // the safety-net TTL of finished records

  // Declared last: stopped (in the destructor) before anything RunAndAnswer uses goes.
  internal::WriteQueue<WriteOp> writes_{options_.max_batch, options_.max_pending_writes,
                                        [this](auto& batch) { RunAndAnswer(batch); }};
};

// Refuses a server that may lose acknowledged writes (DESIGN §4), unless volatile is accepted.
Status CheckDurability(RedisConnection& connection, const RedisEndpoint& endpoint) {
  const std::string where = endpoint.Describe();
  constexpr char kFix[] =
      "set appendonly yes and appendfsync always, or [store] volatile = true to accept losing "
      "acknowledged events";
  std::map<std::string, std::string> settings;
  for (const char* name : {"appendonly", "appendfsync"}) {
    HF_ASSIGN_OR_RETURN(RedisReply reply, connection.Command({"CONFIG", "GET", name}));
    ReplyView view = reply.view();
    if (view.is_error() || view.size() != 2) {
      return FailedPreconditionError(
          "cannot read the durability settings of " + where + " (CONFIG GET " + name + ": " +
          (view.is_error() ? std::string(view.str()) : "no value") +
          "; managed Redis services often disable CONFIG), so hookfence cannot tell whether "
          "acknowledged events survive a crash: " +
          kFix);
    }
    settings[name] = std::string(view[1].str());
  }
  if (settings["appendonly"] != "yes" || settings["appendfsync"] != "always") {
    return FailedPreconditionError(where + " runs with appendonly " + settings["appendonly"] +
                                   " and appendfsync " + settings["appendfsync"] +
                                   ": acknowledged events could be lost when it crashes; " + kFix);
  }
  return Status::Ok();
}

Result<Shas> LoadScripts(RedisConnection& connection) {
  Shas shas;
  for (int i = 0; i < internal::kRedisScriptCount; ++i) {
    const auto script = static_cast<RedisScript>(i);
    HF_ASSIGN_OR_RETURN(
        RedisReply reply,
        connection.Command({"SCRIPT", "LOAD", internal::RedisScriptSource(script)}));
    if (reply.view().is_error() || !reply.view().is_string()) {
      return ErrorReply(std::string("load script ") + internal::RedisScriptName(script),
                        reply.view().str());
    }
    shas[i] = std::string(reply.view().str());
  }
  return shas;
}

// Applies migration.h's rules to the layout key; a compare-and-set, so two gateways starting
// together agree on one outcome.
Result<SchemaReport> MigrateLayout(RedisConnection& connection, const Shas& shas,
                                   const std::string& prefix) {
  const std::string layout = prefix + ":layout";
  for (int round = 0; round < 16; ++round) {
    HF_ASSIGN_OR_RETURN(RedisReply current,
                        connection.Command({"HMGET", layout, "version", "readable_by"}));
    ReplyView view = current.view();
    if (view.is_error() || view.size() != 2) {
      return ErrorReply("read the layout version", view.str());
    }
    const int version = static_cast<int>(view[0].integer());
    const int readable_by = static_cast<int>(view[1].integer());
    HF_ASSIGN_OR_RETURN(internal::MigrationPlan plan,
                        internal::PlanMigrations(RedisLayouts(), version, readable_by));
    SchemaReport report;
    report.version_before = version;
    report.version_after = plan.version_after;
    if (plan.to_apply.empty()) return report;
    HF_ASSIGN_OR_RETURN(RedisReply set, RunScript(connection, shas, RedisScript::kSetLayout,
                                                  {prefix, "0", std::to_string(version),
                                                   std::to_string(plan.version_after),
                                                   std::to_string(plan.readable_by_after)}));
    if (set.view().is_error()) return ErrorReply("record the layout version", set.view().str());
    if (set.view().integer() == 1) {
      for (const internal::Migration* m : plan.to_apply) report.applied.emplace_back(m->name);
      return report;
    }
  }
  return UnavailableError("the layout version under '" + prefix + "' kept changing; try again");
}

}  // namespace

Result<std::unique_ptr<Store>> OpenRedisStore(const StoreUrl& url, StoreOptions options) {
  HF_RETURN_IF_ERROR(internal::ValidateOptions(options));
  HF_ASSIGN_OR_RETURN(RedisConfig config, ParseConfig(url));
  HF_ASSIGN_OR_RETURN(auto connection, RedisConnection::Open(config.endpoint));
  if (!options.allow_volatile) HF_RETURN_IF_ERROR(CheckDurability(*connection, config.endpoint));
  HF_ASSIGN_OR_RETURN(Shas shas, LoadScripts(*connection));
  HF_RETURN_IF_ERROR(MigrateLayout(*connection, shas, config.prefix).status());
  return std::unique_ptr<Store>(
      std::make_unique<RedisStore>(std::move(config), std::move(options), std::move(shas)));
}

Result<SchemaReport> MigrateRedisStore(const StoreUrl& url) {
  HF_ASSIGN_OR_RETURN(RedisConfig config, ParseConfig(url));
  HF_ASSIGN_OR_RETURN(auto connection, RedisConnection::Open(config.endpoint));
  HF_ASSIGN_OR_RETURN(Shas shas, LoadScripts(*connection));
  return MigrateLayout(*connection, shas, config.prefix);
}

}  // namespace hookfence::store
