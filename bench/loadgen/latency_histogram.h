// LatencyHistogram: a small HDR-style histogram of latencies for the load generator.
//
// Values are nanoseconds. Buckets are log-linear: every power-of-two range is cut into 64 equal
// sub-buckets, so any recorded value is reported within 1/64 (1.6 %) of itself, from 1 ns up to
// about 18 minutes (larger values land in the last bucket). Recording is one index computation
// and an increment; the whole histogram is ~18 KB and never allocates after construction.
// Thread-safety: none; one histogram per thread (the load generator has one thread).
#pragma once

#include <cstdint>
#include <vector>

namespace hookfence::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(std::int64_t nanoseconds);
  std::uint64_t count() const { return count_; }
  std::int64_t max() const { return max_; }

  // The value at quantile `q` (0 < q <= 1): the middle of the bucket holding the ceil(q * count)-th
  // smallest value, so within 1.6 % of it. 0 when nothing was recorded.
  std::int64_t ValueAt(double q) const;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace hookfence::bench
