// The disk's durability limit: how many 4 KiB write + fdatasync pairs per second one file takes.
//
// This is what SQLite's group commit is measured against: without batching, a durable store on
// this disk cannot acknowledge more writes per second than this. Two shapes, because ext4 treats
// them differently:
//   append     each write extends the file, so every fdatasync also commits the new size to the
//              file system journal (a WAL that keeps growing);
//   overwrite  the writes cycle through a region written and synced beforehand, so fdatasync only
//              flushes data (a WAL that SQLite restarts from the top after a checkpoint).
// Files live in the same scratch directory as the SQLite benchmarks. With 8 threads each thread
// has its own file: the rate of independent durable writers.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "bench/bench_env.h"

namespace hookfence::bench {
namespace {

constexpr std::size_t kBlockBytes = 4096;
// The overwrite region: larger than any disk write cache worth mentioning, small to prepare.
constexpr off_t kRegionBytes = off_t{16} << 20;

enum class Shape { kAppend, kOverwrite };

bool WriteRegion(int fd) {
  const std::string zeros(1 << 20, '\0');
  for (off_t offset = 0; offset < kRegionBytes; offset += static_cast<off_t>(zeros.size())) {
    if (::pwrite(fd, zeros.data(), zeros.size(), offset) != static_cast<ssize_t>(zeros.size())) {
      return false;
    }
  }
  return ::fsync(fd) == 0;
}

void BM_RawFdatasync4KiB(benchmark::State& state, Shape shape) {
  const std::filesystem::path path = NewBenchFile("raw-fdatasync");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    state.SkipWithError(("open: " + std::string(std::strerror(errno))).c_str());
    return;
  }
  const std::string block(kBlockBytes, 'x');
  off_t offset = 0;
  if (shape == Shape::kOverwrite && !WriteRegion(fd)) {
    state.SkipWithError(("preparing the region: " + std::string(std::strerror(errno))).c_str());
  }
  // After SkipWithError the loop body never runs, and the file is still cleaned up below.
  for (auto _ : state) {
    if (::pwrite(fd, block.data(), block.size(), offset) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError(("pwrite/fdatasync: " + std::string(std::strerror(errno))).c_str());
      break;
    }
    offset += static_cast<off_t>(block.size());
    if (shape == Shape::kOverwrite && offset == kRegionBytes) offset = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kBlockBytes));
  ::close(fd);
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

BENCHMARK_CAPTURE(BM_RawFdatasync4KiB, append, Shape::kAppend)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_RawFdatasync4KiB, overwrite, Shape::kOverwrite)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->MinTime(1.0);

}  // namespace
}  // namespace hookfence::bench
