// The chaos driver's command line: a profile (ci or long) sets every figure, flags override them.
// Thread-safety: a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hookfence/result.h"

namespace hookfence::chaos {

struct ChaosOptions {
  std::string profile = "ci";
  std::uint64_t seed = 0;  // from the clock unless --seed names one
  std::size_t events = 0;
  double duration_s = 0;       // faults and first deliveries happen in [0, duration)
  double drain_timeout_s = 0;  // after the faults stop, how long delivery may take to catch up
  std::size_t posters = 16;    // provider threads (each one keep-alive connection)
  std::uint64_t tmpfs_bytes = 0;
  bool disk_full = true;  // --no-disk-full turns the fault off
  bool store_lock = true;
  bool kills = true;
  bool sink_faults = true;
  // The child mode that holds the store's write lock: `--hold-lock=PATH` (see store_faults.h).
  std::optional<std::string> hold_lock_path;
};

// Parses argv. kInvalidArgument names the flag it could not use. Sets `*help` (and returns
// defaults) when --help is given.
Result<ChaosOptions> ParseOptions(int argc, char** argv, bool* help);

// The usage text.
std::string Usage();

}  // namespace hookfence::chaos
