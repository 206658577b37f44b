#include "bench/loadgen/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hookfence::bench {
namespace {

constexpr int kSubBits = 6;  // 64 sub-buckets per power of two
constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;
constexpr int kMaxShift = 34;  // values up to 2^41 ns
constexpr std::size_t kBuckets = (kMaxShift + 2) * kSub;

std::size_t IndexOf(std::uint64_t value) {
  if (value < 2 * kSub) return static_cast<std::size_t>(value);
  const int shift = std::min(static_cast<int>(std::bit_width(value)) - 1 - kSubBits, kMaxShift);
  const std::uint64_t top = std::min(value >> shift, 2 * kSub - 1);
  return static_cast<std::size_t>(shift) * kSub + static_cast<std::size_t>(top);
}

// The middle of bucket `index`.
std::int64_t MiddleOf(std::size_t index) {
  if (index < 2 * kSub) return static_cast<std::int64_t>(index);
  const std::size_t shift = index / kSub - 1;
  const std::uint64_t top = index - shift * kSub;
  const std::uint64_t low = top << shift;
  return static_cast<std::int64_t>(low + ((std::uint64_t{1} << shift) >> 1));
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

void LatencyHistogram::Record(std::int64_t nanoseconds) {
  const std::uint64_t value = nanoseconds < 0 ? 0 : static_cast<std::uint64_t>(nanoseconds);
  ++buckets_[IndexOf(value)];
  ++count_;
  max_ = std::max(max_, nanoseconds);
}

std::int64_t LatencyHistogram::ValueAt(double q) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(MiddleOf(i), max_);
  }
  return max_;
}

}  // namespace hookfence::bench
