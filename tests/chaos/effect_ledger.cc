#include "tests/chaos/effect_ledger.h"

namespace hookfence::chaos {

void EffectLedger::Expect(const std::string& key, std::string body) {
  std::lock_guard lock(mu_);
  entries_[key].body = std::move(body);
}

void EffectLedger::Record(const testing::ReceivedRequest& request) {
  const auto key_header = request.Header("Idempotency-Key");
  std::lock_guard lock(mu_);
  ++figures_.deliveries;
  if (!key_header) {
    AddAnomaly("delivery #" + std::to_string(request.sequence) + " without Idempotency-Key");
    return;
  }
  const std::string key(*key_header);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    AddAnomaly("delivery #" + std::to_string(request.sequence) + " of key never posted: " + key);
    return;
  }
  Entry& entry = it->second;
  if (request.body != entry.body) {
    AddAnomaly("delivery #" + std::to_string(request.sequence) + " of " + key +
               " with another body: " + request.body.substr(0, 200));
    return;
  }
  if (entry.deliveries++ == 0) ++figures_.distinct_keys;
  if (!entry.applied && request.answer_status >= 200 && request.answer_status < 300) {
    entry.applied = true;
    ++figures_.applied;
  }
}

void EffectLedger::AddAnomaly(std::string what) {
  ++figures_.anomalies;
  if (anomaly_examples_.size() < 10) anomaly_examples_.push_back(std::move(what));
}

bool EffectLedger::Applied(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.applied;
}

EffectLedger::Figures EffectLedger::Snapshot() const {
  std::lock_guard lock(mu_);
  return figures_;
}

std::vector<std::string> EffectLedger::AnomalyExamples() const {
  std::lock_guard lock(mu_);
  return anomaly_examples_;
}

}  // namespace hookfence::chaos
