// Result<T>: a value or the Status explaining why there is none (like arrow::Result).
//
// Thread-safety: a value type; distinct objects may be used from distinct threads.
#pragma once

#include <optional>
#include <utility>

#include "hookfence/status.h"

namespace hookfence {

template <typename T>
class [[nodiscard]] Result {
 public:
  // A Result made from an ok Status is a programming error and aborts.
  Result(Status status) : status_(std::move(status)) { HF_CHECK(!status_.ok()); }  // NOLINT
  Result(T value) : value_(std::move(value)) {}                                    // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Access to the value; calling these on an error aborts.
  const T& value() const& {
    if (!ok()) internal::ValueOfError(status_);
    return *value_;
  }
  T& value() & {
    if (!ok()) internal::ValueOfError(status_);
    return *value_;
  }
  T&& value() && {
    if (!ok()) internal::ValueOfError(status_);
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  T ValueOr(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace hookfence

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the value into `lhs`,
// which may be a declaration: HF_ASSIGN_OR_RETURN(auto record, store.Get(key));
#define HF_ASSIGN_OR_RETURN(lhs, rexpr) \
  HF_ASSIGN_OR_RETURN_IMPL_(HF_STATUS_CONCAT_(hf_result_, __COUNTER__), lhs, rexpr)
#define HF_ASSIGN_OR_RETURN_IMPL_(result, lhs, rexpr) \
  auto result = (rexpr);                              \
  if (!result.ok()) return result.status();           \
  lhs = std::move(result).value()
