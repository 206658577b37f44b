#include "src/store/memory_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "hookfence/keys.h"
#include "src/store/read_modify_write_store.h"
#include "src/store/transitions.h"

namespace hookfence::store {
namespace {

constexpr std::size_t kShards = 16;

// Where one record stands in the cross-key indexes, so that a change can move it in them.
struct IndexEntry {
  std::string key;
  std::uint64_t seq = 0;
  std::string group;                   // source + '\n' + ordering key; empty when unordered
  std::optional<Timestamp> claimable;  // when ClaimDue may take it (dispatcher-driven only)
  bool unfinished = false;
  bool dead = false;
  // The dispatcher queue CountQueues counts it in (a PENDING record's due time is `claimable`).
  enum class Queue { kNone, kPending, kLeased, kDeadLetter };
  Queue queue = Queue::kNone;
};

class MemoryStore final : public internal::ReadModifyWriteStore {
 public:
  explicit MemoryStore(StoreOptions options) : options_(std::move(options)) {}

  Result<AcceptOutcome> Accept(AcceptRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateAccept(request));
    Shard& shard = ShardFor(request.key);
    std::lock_guard lock(shard.mu);
    const Timestamp now = Now();
    if (auto it = shard.records.find(request.key); it != shard.records.end()) {
      return internal::AcceptExisting(it->second, request.fingerprint);
    }
    if (!ReserveSlot()) return internal::AcceptFull();
    std::lock_guard index_lock(index_mu_);
    const std::string group = GroupOf(request.key, request.ordering_key);
    const bool blocked = !group.empty() && unfinished_.count(group) > 0;
    AcceptOutcome outcome;
    const bool lease_granted = request.lease.has_value() && !blocked;
    Record record = internal::NewAcceptedRecord(std::move(request), now, lease_granted, &outcome);
    record.seq = next_seq_.fetch_add(1);
    outcome.seq = record.seq;
    ReindexLocked(std::nullopt, EntryOf(record));
    std::string key = record.key;
    shard.records.emplace(std::move(key), std::move(record));
    return outcome;
  }

  Result<BeginOutcome> Begin(BeginRequest request) override {
    HF_RETURN_IF_ERROR(internal::ValidateBegin(request));
    Shard& shard = ShardFor(request.key);
    std::lock_guard lock(shard.mu);
    const Timestamp now = Now();
    if (auto it = shard.records.find(request.key); it != shard.records.end()) {
      bool changed = false;
      return internal::BeginExisting(it->second, request, now, options_.max_clock_skew, &changed);
    }
    if (!ReserveSlot()) return internal::BeginFull();
    BeginOutcome outcome;
    Record record = internal::NewBegunRecord(std::move(request), now, &outcome);
    record.seq = next_seq_.fetch_add(1);
    std::string key = record.key;
    shard.records.emplace(std::move(key), std::move(record));
    return outcome;
  }

  // Walks the due-time index from its oldest entry: the cost is the records handed out plus those
  // an ordering key holds back, whatever the backlog.
  Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) override {
    HF_RETURN_IF_ERROR(internal::ValidateClaim(limit, lease));
    auto locks = LockAllShards();
    std::lock_guard index_lock(index_mu_);
    const Timestamp now = Now();
    std::vector<Claim> claims;
    for (auto it = claimable_.begin(); it != claimable_.end() && claims.size() < limit;) {
      const auto& [at, seq, key] = *it;
      if (at > now) break;
      Record& record = ShardFor(key).records.at(key);
      bool passed_dead = false;
      if (!record.ordering_key.empty()) {
        const std::string group = GroupOf(record.key, record.ordering_key);
        if (*unfinished_.at(group).begin() < record.seq) {
          ++it;  // waits for an earlier record of its ordering key
          continue;
        }
        auto dead = dead_.find(group);
        passed_dead = dead != dead_.end() && *dead->second.begin() < record.seq;
      }
      const IndexEntry before = EntryOf(record);
      internal::ApplyClaim(record, now, lease, options_.max_clock_skew);
      ++it;  // the claim moves the record's own entry past now; later entries stay valid
      ReindexLocked(before, EntryOf(record));
      claims.push_back(Claim{record, passed_dead});
    }
    return claims;
  }

  Result<Record> Get(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    Shard& shard = ShardFor(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.records.find(std::string(key));
    if (it == shard.records.end()) return NotFoundError("no record for this key");
    return it->second;
  }

  Result<ListPage> List(const ListFilter& filter) override {
    HF_RETURN_IF_ERROR(internal::ValidateListFilter(filter));
    const std::uint64_t after = internal::ParseCursor(filter.cursor).value();
    std::vector<Record> matches;
    {
      auto locks = LockAllShards();
      for (Shard& shard : shards_) {
        for (const auto& [key, record] : shard.records) {
          if (record.seq > after && internal::MatchesFilter(record, filter)) {
            Record summary = record;
            summary.payload.reset();
            summary.response.reset();
            matches.push_back(std::move(summary));
          }
        }
      }
    }
    std::sort(matches.begin(), matches.end(),
              [](const Record& a, const Record& b) { return a.seq < b.seq; });
    ListPage page;
    if (matches.size() > filter.limit) {
      matches.resize(filter.limit);
      page.next_cursor = std::to_string(matches.back().seq);
    }
    page.records = std::move(matches);
    return page;
  }

  Result<SweepStats> Sweep() override {
    SweepStats stats;
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      const Timestamp now = Now();
      for (auto it = shard.records.begin(); it != shard.records.end();) {
        switch (internal::SweepActionFor(it->second, now, options_)) {
          case internal::SweepAction::kKeep:
            ++it;
            break;
          case internal::SweepAction::kDropPayload: {
            // A dead letter that becomes a tombstone leaves the dead-letter count.
            const IndexEntry before = EntryOf(it->second);
            internal::DropPayload(it->second, now);
            std::lock_guard index_lock(index_mu_);
            ReindexLocked(before, EntryOf(it->second));
            ++stats.payloads_dropped;
            ++it;
            break;
          }
          case internal::SweepAction::kErase: {
            std::lock_guard index_lock(index_mu_);
            ReindexLocked(EntryOf(it->second), std::nullopt);
            it = shard.records.erase(it);
            count_.fetch_sub(1);
            ++stats.records_erased;
            break;
          }
        }
      }
    }
    return stats;
  }

  // Reads the queue counters and the pending index only (no shard lock): the cost is the smaller
  // of the due and the scheduled counts, whatever the number of records.
  Result<QueueCounts> CountQueues() override {
    std::lock_guard index_lock(index_mu_);
    const Timestamp now = Now();
    QueueCounts counts;
    counts.due = DueLocked(now);
    counts.scheduled = pending_.size() - counts.due;
    counts.leased = leased_;
    counts.dead = dead_letters_;
    return counts;
  }

  Status Purge(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    Shard& shard = ShardFor(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.records.find(std::string(key));
    if (it == shard.records.end()) return NotFoundError("no record for this key");
    {
      std::lock_guard index_lock(index_mu_);
      ReindexLocked(EntryOf(it->second), std::nullopt);
    }
    shard.records.erase(it);
    count_.fetch_sub(1);
    return Status::Ok();
  }

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Record> records;
  };

  Timestamp Now() const { return options_.clock->Now(); }

  Shard& ShardFor(std::string_view key) {
    return shards_[std::hash<std::string_view>{}(key) % kShards];
  }

  std::vector<std::unique_lock<std::mutex>> LockAllShards() {
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(kShards);
    for (Shard& shard : shards_) locks.emplace_back(shard.mu);
    return locks;
  }

  // Takes one unit of capacity, or returns false at the bound (nothing taken).
  bool ReserveSlot() {
    const std::uint64_t before = count_.fetch_add(1);
    if (options_.capacity != 0 && before >= options_.capacity) {
      count_.fetch_sub(1);
      return false;
    }
    return true;
  }

  // Under the key's shard lock. The change works on a copy so that a failed change writes
  // nothing; the indexes follow the record.
  Status Mutate(std::string_view key, const Change& change, bool /*with_payload*/) override {
    Shard& shard = ShardFor(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.records.find(std::string(key));
    if (it == shard.records.end()) return NotFoundError("no record for this key");
    Record record = it->second;
    HF_RETURN_IF_ERROR(change(record, Now()));
    {
      std::lock_guard index_lock(index_mu_);
      ReindexLocked(EntryOf(it->second), EntryOf(record));
    }
    it->second = std::move(record);
    return Status::Ok();
  }

  static std::string GroupOf(std::string_view key, std::string_view ordering_key) {
    if (ordering_key.empty()) return {};
    std::string group(key.substr(0, key.find(':')));
    group += '\n';
    group += ordering_key;
    return group;
  }

  IndexEntry EntryOf(const Record& record) const {
    IndexEntry entry;
    entry.key = record.key;
    entry.seq = record.seq;
    entry.group = GroupOf(record.key, record.ordering_key);
    if (record.driver == Driver::kDispatcher && internal::Unfinished(record)) {
      entry.claimable = internal::ClaimableAt(record, options_.max_clock_skew);
    }
    entry.unfinished = internal::Unfinished(record);
    entry.dead = record.state == State::kDead;
    if (record.driver == Driver::kDispatcher) {
      if (record.state == State::kPending) entry.queue = IndexEntry::Queue::kPending;
      if (record.state == State::kInProgress) entry.queue = IndexEntry::Queue::kLeased;
      if (entry.dead && !record.tombstone) entry.queue = IndexEntry::Queue::kDeadLetter;
    }
    return entry;
  }

  // Moves a record from its old place in the indexes (`before`, none for a new record) to its
  // new one (`after`, none once erased). Caller holds index_mu_.
  void ReindexLocked(const std::optional<IndexEntry>& before,
                     const std::optional<IndexEntry>& after) {
    if (before) {
      if (before->claimable) claimable_.erase({*before->claimable, before->seq, before->key});
      if (!before->group.empty()) {
        if (before->unfinished) EraseFromGroup(unfinished_, before->group, before->seq);
        if (before->dead) EraseFromGroup(dead_, before->group, before->seq);
      }
      CountInQueueLocked(*before, /*add=*/false);
    }
    if (after) {
      if (after->claimable) claimable_.insert({*after->claimable, after->seq, after->key});
      if (!after->group.empty()) {
        if (after->unfinished) unfinished_[after->group].insert(after->seq);
        if (after->dead) dead_[after->group].insert(after->seq);
      }
      CountInQueueLocked(*after, /*add=*/true);
    }
  }

  // Adds a record to CountQueues' view, or removes it (`add` false). Caller holds index_mu_.
  void CountInQueueLocked(const IndexEntry& entry, bool add) {
    switch (entry.queue) {
      case IndexEntry::Queue::kNone:
        break;
      case IndexEntry::Queue::kPending:
        if (add) {
          pending_.insert({*entry.claimable, entry.seq});
        } else {
          pending_.erase({*entry.claimable, entry.seq});
        }
        break;
      case IndexEntry::Queue::kLeased:
        if (add) {
          ++leased_;
        } else {
          --leased_;
        }
        break;
      case IndexEntry::Queue::kDeadLetter:
        if (add) {
          ++dead_letters_;
        } else {
          --dead_letters_;
        }
        break;
    }
  }

  // How many PENDING records are due by `now`. pending_ is walked from both ends at once and the
  // walk stops where either end crosses `now`, so it visits at most twice the smaller side.
  // Caller holds index_mu_.
  std::uint64_t DueLocked(Timestamp now) const {
    std::uint64_t due = 0;
    std::uint64_t later = 0;
    auto front = pending_.begin();
    auto back = pending_.end();
    while (front != back) {
      if (front->first > now) return due;  // [front, end) is all later
      ++due;
      ++front;
      if (front == back) break;
      if (std::prev(back)->first <= now) return pending_.size() - later;  // [begin, back) is due
      ++later;
      --back;
    }
    return due;
  }

  using GroupIndex = std::map<std::string, std::set<std::uint64_t>>;
  static void EraseFromGroup(GroupIndex& index, const std::string& group, std::uint64_t seq) {
    auto it = index.find(group);
    if (it == index.end()) return;
    it->second.erase(seq);
    if (it->second.empty()) index.erase(it);
  }

  const StoreOptions options_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> next_seq_{1};
  std::atomic<std::uint64_t> count_{0};
  // Cross-key indexes; index_mu_ is always taken after shard locks.
  std::mutex index_mu_;
  std::set<std::tuple<Timestamp, std::uint64_t, std::string>> claimable_;  // (at, seq, key)
  GroupIndex unfinished_;  // ordering group -> seqs of PENDING / IN_PROGRESS records
  GroupIndex dead_;        // ordering group -> seqs of DEAD records
  // CountQueues' view of the dispatcher-driven records.
  std::set<std::pair<Timestamp, std::uint64_t>> pending_;  // (due_at, seq) of PENDING records
  std::uint64_t leased_ = 0;                               // IN_PROGRESS records
  std::uint64_t dead_letters_ = 0;                         // DEAD records that are no tombstone
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(StoreOptions options) {
  return std::make_unique<MemoryStore>(std::move(options));
}

}  // namespace hookfence::store
