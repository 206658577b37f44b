// The batched writes of the PostgreSQL store — Accept and Begin — as its writer thread sees them
// (postgres_store.cc): each call builds its one statement (postgres_sql.h), reads the rows that
// statement returned into its answer, and hands the answer to the waiting caller once the batch's
// commit is known.
// Thread-safety: an operation is built by its caller, then used by the writer thread alone; the
// caller only waits on the future of its answer.
#pragma once

#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <string_view>

#include "hookfence/store.h"
#include "src/store/postgres_connection.h"

namespace hookfence::store::internal {

// The error of the attempt a lapsed lease lost (transitions.cc records the same text when it
// takes over a record in memory; the conformance suite checks both).
inline constexpr char kPgLostAttemptError[] = "lease expired";

// The source part of a validated key.
inline std::string_view SourceOf(std::string_view key) { return key.substr(0, key.find(':')); }

// The advisory lock key of an ordering group (FNV-1a of schema, source and ordering key), the
// same in every process.
std::int64_t GroupLockKey(std::string_view schema, std::string_view source,
                          std::string_view ordering_key);

// One call waiting for the writer. The writer builds its statement, reads its rows, and answers
// the caller once the batch's fate is known.
class WriteOp {
 public:
  enum class Step { kDone, kRunAgain };
  virtual ~WriteOp() = default;
  virtual const std::string& key() const = 0;
  // The advisory lock its statement needs held first, if any.
  virtual std::optional<std::int64_t> group_lock() const { return std::nullopt; }
  // The statement as of `now`; `may_insert` false at capacity (a new key is then Full).
  virtual PgStatement Statement(Timestamp now, bool may_insert) = 0;
  // Reads the statement's rows into the answer; *inserted is 1 when a row was added.
  virtual Step Take(const PgResult& rows, int* inserted) = 0;
  // Answers with `error` alone (this call failed; the batch goes on without it).
  virtual void Exclude(Status error) = 0;
  virtual bool excluded() const = 0;
  // Answers the caller once the batch's commit (`commit`) is known.
  virtual void Finish(const Status& commit) = 0;
};

template <typename Request, typename Outcome>
class TypedWriteOp : public WriteOp {
 public:
  TypedWriteOp(Request request, const StoreOptions& options)
      : request_(std::move(request)), options_(options) {}
  const std::string& key() const override { return request_.key; }
  void Exclude(Status error) override { excluded_ = std::move(error); }
  bool excluded() const override { return !excluded_.ok(); }
  void Finish(const Status& commit) override {
    if (!excluded_.ok()) {
      promise_.set_value(Result<Outcome>(excluded_));
    } else if (!commit.ok()) {
      promise_.set_value(Result<Outcome>(commit));
    } else if (!answer_) {
      promise_.set_value(Result<Outcome>(InternalError("write operation was not run")));
    } else {
      promise_.set_value(std::move(*answer_));
    }
  }
  std::future<Result<Outcome>> Answer() { return promise_.get_future(); }

 protected:
  Request request_;
  const StoreOptions& options_;
  Timestamp now_;
  bool may_insert_ = true;
  std::optional<Result<Outcome>> answer_;

 private:
  Status excluded_;
  std::promise<Result<Outcome>> promise_;
};

// Accept: kAcceptInsert, or kAcceptLookup at capacity. Holds its ordering group's lock key.
class AcceptOp final : public TypedWriteOp<AcceptRequest, AcceptOutcome> {
 public:
  AcceptOp(AcceptRequest request, const StoreOptions& options, const std::string& schema);
  std::optional<std::int64_t> group_lock() const override { return lock_; }
  PgStatement Statement(Timestamp now, bool may_insert) override;
  Step Take(const PgResult& rows, int* inserted) override;

 private:
  std::optional<std::int64_t> lock_;
};

// Begin: kBeginUpsert, or kBeginTakeover at capacity. Why an existing row was not taken over is
// decided by transitions.h's BeginExisting on the row as the statement saw it.
class BeginOp final : public TypedWriteOp<BeginRequest, BeginOutcome> {
 public:
  using TypedWriteOp::TypedWriteOp;
  PgStatement Statement(Timestamp now, bool may_insert) override;
  Step Take(const PgResult& rows, int* inserted) override;
};

}  // namespace hookfence::store::internal
