#include "src/store/sqlite_checkpointer.h"

#include <sqlite3.h>

namespace hookfence::store::internal {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& path,
                                                                Connection& writer,
                                                                int threshold_frames) {
  HF_ASSIGN_OR_RETURN(auto own, Connection::Open(path, false));
  return std::unique_ptr<WalCheckpointer>(
      new WalCheckpointer(std::move(own), writer, threshold_frames));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> own, Connection& writer,
                                 int threshold_frames)
    : own_(std::move(own)), writer_(writer), threshold_frames_(threshold_frames) {
  // Replaces the writer's automatic checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(writer_.raw(), &WalCheckpointer::OnCommit, this);
  thread_ = std::thread([this] { Loop(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  sqlite3_wal_hook(writer_.raw(), nullptr, nullptr);
}

// Runs on the writer's thread after each commit, with the WAL's size in frames.
int WalCheckpointer::OnCommit(void* self, sqlite3* db, const char* schema, int frames) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (frames >= 4 * checkpointer->threshold_frames_) {
    // The hard bound. The writer is the only connection that writes, so no frame can arrive while
    // it runs; FULL waits (through the busy timeout) for a background checkpoint in progress and
    // for readers of older snapshots, then copies to the end, so the next commit starts the WAL
    // over. A PASSIVE one would give up at once if the checkpointer's thread were busy, and the WAL
    // would grow for as long as that lasted.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_FULL, nullptr, nullptr);
    checkpointer->by_writer_.fetch_add(1);
    return SQLITE_OK;
  }
  if (frames >= checkpointer->threshold_frames_) {
    {
      std::lock_guard lock(checkpointer->mu_);
      checkpointer->wanted_ = true;
    }
    checkpointer->cv_.notify_one();
  }
  return SQLITE_OK;  // a failed checkpoint is retried at the next commit; the commit stands
}

void WalCheckpointer::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
    }
    sqlite3_wal_checkpoint_v2(own_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    background_.fetch_add(1);
  }
}

}  // namespace hookfence::store::internal
