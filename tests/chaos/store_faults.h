// The store's faults for the chaos driver, on the embedded SQLite store:
// - TmpfsStoreDir: the store's directory on a small tmpfs of its own, which Fill fills with a
//   filler file until writes fail with ENOSPC and Free empties again (needs CAP_SYS_ADMIN).
// - StoreLock: another process holding the database's write lock (BEGIN EXCLUSIVE) until it is
//   released. The other process is this program run as `hookfence_chaos --hold-lock=PATH`
//   (HoldLockMain), so the driver needs no sqlite3 shell on the machine.
// Thread-safety: each object belongs to one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "hookfence/clock.h"
#include "hookfence/result.h"

namespace hookfence::chaos {

class TmpfsStoreDir {
 public:
  // Mounts a tmpfs of `bytes` on `dir` (which must exist and be empty). kUnavailable (with the
  // reason) when mounting is not permitted.
  static Result<std::unique_ptr<TmpfsStoreDir>> Mount(std::string dir, std::uint64_t bytes);
  // Unmounts (lazily: processes that still hold files there keep them until they exit).
  ~TmpfsStoreDir();
  TmpfsStoreDir(const TmpfsStoreDir&) = delete;
  TmpfsStoreDir& operator=(const TmpfsStoreDir&) = delete;

  // Writes a filler file until the file system refuses another byte. Returns its size.
  Result<std::uint64_t> Fill();
  // Removes the filler.
  void Free();
  // Bytes in use on the file system (the store, its WAL and any filler).
  std::uint64_t UsedBytes() const;

 private:
  explicit TmpfsStoreDir(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

class StoreLock {
 public:
  // Starts the lock holder on the SQLite database `db_path` and waits until it holds the write
  // lock. kUnavailable when it could not take the lock within `timeout`.
  static Result<std::unique_ptr<StoreLock>> Take(const std::string& db_path, Duration timeout);
  // Releases the lock: the holder rolls back and exits, and is waited for.
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  StoreLock(pid_t pid, int to_child) : pid_(pid), to_child_(to_child) {}
  pid_t pid_;
  int to_child_;  // the holder's stdin: closing it tells the holder to let go
};

// The lock holder's main: opens `db_path`, takes BEGIN EXCLUSIVE (waiting for other writers),
// writes "locked\n" to stdout, holds the lock until stdin reaches its end, rolls back. Returns
// the exit code.
int HoldLockMain(const std::string& db_path);

}  // namespace hookfence::chaos
