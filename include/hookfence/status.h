// Status: the outcome of an operation that can fail, with abseil's code meanings.
//
// The library never throws across its API: every fallible call returns a Status or a Result<T>.
// Thread-safety: a Status is a value; distinct objects may be used from distinct threads.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace hookfence {

enum class StatusCode {
  kOk = 0,
  kCancelled,
  kInvalidArgument,  // malformed input: fix the call, do not retry it
  kDeadlineExceeded,
  kNotFound,  // no such key
  kAlreadyExists,
  kFailedPrecondition,  // the record is in a state that does not allow this change
  kAborted,             // stale fence / lost lease: the caller no longer owns the record
  kResourceExhausted,   // full or overloaded: retry later
  kUnauthenticated,     // bad signature or credentials
  kUnavailable,         // backend down or a write that did not become durable: retry with backoff
  kInternal,            // a broken invariant inside hookfence or a backend
};

// The canonical upper-case name of a code, e.g. "UNAVAILABLE".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "CODE: message", or "OK".
  std::string ToString() const;

  // Marks a status as deliberately not inspected.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status AbortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

}  // namespace hookfence

#define HF_STATUS_CONCAT_INNER_(a, b) a##b
#define HF_STATUS_CONCAT_(a, b) HF_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define HF_RETURN_IF_ERROR(expr) \
  HF_RETURN_IF_ERROR_IMPL_(HF_STATUS_CONCAT_(hf_status_, __COUNTER__), expr)
#define HF_RETURN_IF_ERROR_IMPL_(name, expr) \
  do {                                       \
    ::hookfence::Status name = (expr);       \
    if (!name.ok()) return name;             \
  } while (false)

// Aborts the process when an invariant that cannot be broken by input is broken.
#define HF_CHECK(cond)                                                          \
  do {                                                                          \
    if (!(cond)) ::hookfence::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (false)

namespace hookfence::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
// Aborts, naming the error, when a Result's value is taken although it holds an error.
[[noreturn]] void ValueOfError(const Status& status);
}  // namespace hookfence::internal
