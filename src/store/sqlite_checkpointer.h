// WalCheckpointer: keeps SQLite's WAL checkpoints off the commit path.
//
// By default the connection that commits runs a checkpoint (copying WAL pages into the database
// file and fsyncing it) inside whichever commit pushes the WAL past 1,000 pages, and every caller
// in that group commit waits for it. Instead, the writer connection's WAL hook only wakes this
// checkpointer's own thread and connection, which checkpoints PASSIVE (never blocking the writer
// or readers) once the WAL holds `threshold_frames` frames. Under unbroken load a passive
// checkpoint can never catch up with the newest frames, so the WAL could not start over and would
// grow without end: past `4 × threshold_frames` the writer checkpoints itself (FULL), between two
// commits, which only copies what the checkpointer has not copied yet.
// Thread-safety: constructed and destroyed by the store's owner; the hook runs on the writer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hookfence/result.h"
#include "src/store/sqlite_connection.h"

namespace hookfence::store::internal {

class WalCheckpointer {
 public:
  // Opens its own connection to `path` and takes over `writer`'s automatic checkpoints. `writer`
  // must outlive the checkpointer.
  static Result<std::unique_ptr<WalCheckpointer>> Start(const std::string& path, Connection& writer,
                                                        int threshold_frames);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run by the checkpointer's thread, and by the writer past the hard bound.
  std::uint64_t background_checkpoints() const { return background_.load(); }
  std::uint64_t writer_checkpoints() const { return by_writer_.load(); }

 private:
  WalCheckpointer(std::unique_ptr<Connection> own, Connection& writer, int threshold_frames);
  static int OnCommit(void* self, sqlite3* db, const char* schema, int frames);
  void Loop();

  std::unique_ptr<Connection> own_;
  Connection& writer_;
  const int threshold_frames_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> background_{0};
  std::atomic<std::uint64_t> by_writer_{0};
  std::thread thread_;
};

}  // namespace hookfence::store::internal
