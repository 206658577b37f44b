#include "src/server/bulk_replay.h"

#include <utility>

namespace hookfence::server {

BulkReplay::BulkReplay(ListFilter filter) : filter_(std::move(filter)) {
  filter_.limit = kPageSize;
}

std::vector<std::string> BulkReplay::Take(const ListPage& page) {
  std::vector<std::string> keys;
  for (const Record& record : page.records) {
    // List omits payloads, but says which records lost theirs; neither those nor caller-driven
    // records can be replayed, so they cost no store call.
    if (record.tombstone || record.driver != Driver::kDispatcher) {
      ++skipped_;
    } else {
      keys.push_back(record.key);
    }
  }
  filter_.cursor = page.next_cursor;
  done_ = page.next_cursor.empty();
  return keys;
}

Status BulkReplay::Count(Status replay) {
  if (replay.ok()) {
    ++replayed_;
    return Status::Ok();
  }
  // Purged or changed (replayed, claimed) since the page was listed: nothing to do for it.
  if (replay.code() == StatusCode::kNotFound || replay.code() == StatusCode::kFailedPrecondition) {
    ++skipped_;
    return Status::Ok();
  }
  return replay;
}

}  // namespace hookfence::server
