// BulkReplay: the bookkeeping of "replay every record matching a filter", shared by the admin
// API (POST /v1/replay, each store call on the StoreRunner) and `hookfence events replay --all`
// (blocking calls on a store it opened). The caller owns the loop and the store calls:
//
//   BulkReplay bulk(filter);
//   while (!bulk.done()) {
//     page = store.List(bulk.NextPage());                 // an error stops the run
//     for (key : bulk.Take(page)) bulk.Count(store.Replay(key));  // a non-ok Count stops it
//   }
//
// Records that cannot be replayed — tombstones, caller-driven records, and records that changed
// under the run (purged, or no longer finished) — are counted as skipped, never as errors. Every
// other store error stops the run; the counts then say how far it got.
// Thread-safety: a value used by one caller at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hookfence/store.h"

namespace hookfence::server {

class BulkReplay {
 public:
  // Records per List page.
  static constexpr std::size_t kPageSize = 1000;

  // `filter`'s limit is replaced by kPageSize; its cursor, if any, is where the run starts.
  explicit BulkReplay(ListFilter filter);

  // True once the last page was taken.
  bool done() const { return done_; }
  // The filter for the next List call.
  const ListFilter& NextPage() const { return filter_; }
  // The keys on `page` worth a Replay call; counts the others as skipped and moves to the next
  // page.
  std::vector<std::string> Take(const ListPage& page);
  // Counts one Replay's outcome. Returns `replay` itself when it is an error that must stop the
  // run, ok otherwise.
  Status Count(Status replay);

  std::uint64_t replayed() const { return replayed_; }
  std::uint64_t skipped() const { return skipped_; }

 private:
  ListFilter filter_;
  bool done_ = false;
  std::uint64_t replayed_ = 0;
  std::uint64_t skipped_ = 0;
};

}  // namespace hookfence::server
