#include "src/providers/signed_timestamp.h"

#include <chrono>
#include <limits>

namespace hookfence::providers {

std::optional<std::int64_t> ParseUnixSeconds(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    if (value > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

std::int64_t UnixSeconds(Timestamp now) {
  return std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
}

bool WithinTolerance(Timestamp now, std::int64_t signed_seconds, Duration tolerance) {
  std::int64_t skew = 0;
  // A difference that does not even fit in 64 bits is outside any window.
  if (__builtin_sub_overflow(UnixSeconds(now), signed_seconds, &skew)) {
    return false;
  }
  std::int64_t limit = std::chrono::floor<std::chrono::seconds>(tolerance).count();
  return skew >= -limit && skew <= limit;
}

std::string DescribeSkew(Timestamp now, std::int64_t signed_seconds, Duration tolerance) {
  std::int64_t limit = std::chrono::floor<std::chrono::seconds>(tolerance).count();
  std::int64_t skew = 0;
  std::string text;
  if (__builtin_sub_overflow(UnixSeconds(now), signed_seconds, &skew)) {
    text = "timestamp is out of range";
  } else if (skew >= 0) {
    text = "timestamp is " + std::to_string(skew) + " s old";
  } else if (skew == std::numeric_limits<std::int64_t>::min()) {
    text = "timestamp is out of range";
  } else {
    text = "timestamp is " + std::to_string(-skew) + " s in the future";
  }
  return text + "; the tolerance is " + std::to_string(limit) + " s";
}

}  // namespace hookfence::providers
