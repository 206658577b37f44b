#include "src/store/memory_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "hookfence/keys.h"
#include "src/store/read_modify_write_store.h"
#include "src/store/transitions.h"

namespace hookfence::store {
namespace {

using internal::Unfinished;

constexpr std::size_t kShards = 16;

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
    std::lock_guard order_lock(ordering_mu_);
    const bool blocked = HasUnfinished(request.key, request.ordering_key);
    AcceptOutcome outcome;
    const bool lease_granted = request.lease.has_value() && !blocked;
    Record record = internal::NewAcceptedRecord(std::move(request), now, lease_granted, &outcome);
    record.seq = next_seq_.fetch_add(1);
    outcome.seq = record.seq;
    TrackOrderingLocked(record, /*was_unfinished=*/false);
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

  Result<std::vector<Claim>> ClaimDue(std::size_t limit, Duration lease) override {
    HF_RETURN_IF_ERROR(internal::ValidateClaim(limit, lease));
    auto locks = LockAllShards();
    std::lock_guard order_lock(ordering_mu_);
    const Timestamp now = Now();
    std::vector<Record*> due;
    std::map<std::string, std::uint64_t> first_dead;  // ordering group -> lowest DEAD seq
    for (Shard& shard : shards_) {
      for (auto& [key, record] : shard.records) {
        if (internal::Claimable(record, now, options_.max_clock_skew)) due.push_back(&record);
        if (record.state == State::kDead && !record.ordering_key.empty()) {
          auto [it, inserted] = first_dead.emplace(OrderingGroup(record), record.seq);
          if (!inserted) it->second = std::min(it->second, record.seq);
        }
      }
    }
    std::sort(due.begin(), due.end(), [this](const Record* a, const Record* b) {
      auto at_a = internal::ClaimableAt(*a, options_.max_clock_skew);
      auto at_b = internal::ClaimableAt(*b, options_.max_clock_skew);
      return at_a != at_b ? at_a < at_b : a->seq < b->seq;
    });
    std::vector<Claim> claims;
    for (Record* record : due) {
      if (claims.size() == limit) break;
      bool passed_dead = false;
      if (!record->ordering_key.empty()) {
        const std::string group = OrderingGroup(*record);
        const auto& unfinished = unfinished_by_group_[group];
        if (!unfinished.empty() && *unfinished.begin() < record->seq) continue;
        auto dead = first_dead.find(group);
        passed_dead = dead != first_dead.end() && dead->second < record->seq;
      }
      internal::ApplyClaim(*record, now, lease, options_.max_clock_skew);
      claims.push_back(Claim{*record, passed_dead});
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
          case internal::SweepAction::kDropPayload:
            internal::DropPayload(it->second, now);
            ++stats.payloads_dropped;
            ++it;
            break;
          case internal::SweepAction::kErase:
            it = shard.records.erase(it);
            count_.fetch_sub(1);
            ++stats.records_erased;
            break;
        }
      }
    }
    return stats;
  }

  Status Purge(std::string_view key) override {
    HF_RETURN_IF_ERROR(ValidateKey(key));
    Shard& shard = ShardFor(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.records.find(std::string(key));
    if (it == shard.records.end()) return NotFoundError("no record for this key");
    {
      std::lock_guard order_lock(ordering_mu_);
      if (Unfinished(it->second)) ForgetOrderingLocked(it->second);
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

  // Under the key's shard lock; keeps the ordering index in step with the record's
  // unfinished-ness. The change works on a copy so that a failed change writes nothing.
  Status Mutate(std::string_view key, const Change& change, bool /*with_payload*/) override {
    Shard& shard = ShardFor(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.records.find(std::string(key));
    if (it == shard.records.end()) return NotFoundError("no record for this key");
    Record record = it->second;
    const bool was_unfinished = Unfinished(record);
    HF_RETURN_IF_ERROR(change(record, Now()));
    if (was_unfinished != Unfinished(record)) {
      std::lock_guard order_lock(ordering_mu_);
      TrackOrderingLocked(record, was_unfinished);
    }
    it->second = std::move(record);
    return Status::Ok();
  }

  static std::string OrderingGroup(const Record& record) {
    std::string group(record.source());
    group += '\n';
    group += record.ordering_key;
    return group;
  }

  bool HasUnfinished(std::string_view key, const std::string& ordering_key) {
    if (ordering_key.empty()) return false;
    std::string group(key.substr(0, key.find(':')));
    group += '\n';
    group += ordering_key;
    auto it = unfinished_by_group_.find(group);
    return it != unfinished_by_group_.end() && !it->second.empty();
  }

  void TrackOrderingLocked(const Record& record, bool was_unfinished) {
    if (record.ordering_key.empty()) return;
    if (Unfinished(record) && !was_unfinished) {
      unfinished_by_group_[OrderingGroup(record)].insert(record.seq);
    } else if (!Unfinished(record) && was_unfinished) {
      ForgetOrderingLocked(record);
    }
  }

  void ForgetOrderingLocked(const Record& record) {
    if (record.ordering_key.empty()) return;
    auto it = unfinished_by_group_.find(OrderingGroup(record));
    if (it == unfinished_by_group_.end()) return;
    it->second.erase(record.seq);
    if (it->second.empty()) unfinished_by_group_.erase(it);
  }

  const StoreOptions options_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> next_seq_{1};
  std::atomic<std::uint64_t> count_{0};
  std::mutex ordering_mu_;
  std::map<std::string, std::set<std::uint64_t>> unfinished_by_group_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(StoreOptions options) {
  return std::make_unique<MemoryStore>(std::move(options));
}

}  // namespace hookfence::store
