#include "src/providers/verdicts.h"

#include <utility>

#include "src/providers/signed_timestamp.h"

namespace hookfence::providers {

Verdict ValidVerdict() {
  Verdict verdict;
  verdict.kind = Verdict::Kind::kValid;
  return verdict;
}

Verdict BadSignature(std::string message) {
  Verdict verdict;
  verdict.kind = Verdict::Kind::kBadSignature;
  verdict.message = std::move(message);
  return verdict;
}

Verdict StaleTimestamp(std::string message) {
  Verdict verdict;
  verdict.kind = Verdict::Kind::kStaleTimestamp;
  verdict.message = std::move(message);
  return verdict;
}

Verdict HeaderProblem(const HeaderLookup& lookup) {
  if (lookup.kind == HeaderLookup::Kind::kRepeated) {
    return BadSignature(std::string(lookup.name) + " is sent more than once");
  }
  return BadSignature("no " + std::string(lookup.name) + " header");
}

Verdict FreshnessVerdict(Timestamp now, std::int64_t signed_seconds, Duration tolerance) {
  if (!WithinTolerance(now, signed_seconds, tolerance)) {
    return StaleTimestamp(DescribeSkew(now, signed_seconds, tolerance));
  }
  return ValidVerdict();
}

}  // namespace hookfence::providers
