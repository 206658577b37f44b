// EffectLedger: the app behind the gateway, as an effect ledger keyed by Idempotency-Key. It is
// fed every request the sink records (TestSink::Options::on_record) and applies an event's effect
// on the first delivery of its key that the sink answers 2xx; later deliveries of that key are
// raw redeliveries the key absorbs.
//
// Such a ledger can only apply an effect twice when the key stops naming the event, so that is
// what it checks: every delivery must carry an Idempotency-Key the provider posted, with exactly
// the body the provider posted under it. A delivery without a key, with a key never posted, or
// with another event's body would make an app apply an effect a second time (or a wrong one):
// each is an anomaly, counted in effects_duplicated.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "testing/test_sink.h"

namespace hookfence::chaos {

class EffectLedger {
 public:
  // Registers the body the provider posts under `key`; call before deliveries can arrive.
  void Expect(const std::string& key, std::string body);
  // Records one delivery as the sink decided its answer.
  void Record(const testing::ReceivedRequest& request);

  bool Applied(const std::string& key) const;

  struct Figures {
    std::size_t deliveries = 0;     // every request the sink received
    std::size_t distinct_keys = 0;  // distinct expected keys among them
    std::size_t applied = 0;        // keys whose effect was applied (answered 2xx once)
    std::size_t anomalies = 0;      // deliveries an Idempotency-Key ledger cannot absorb
  };
  Figures Snapshot() const;
  // Up to 10 descriptions of anomalies, for the report.
  std::vector<std::string> AnomalyExamples() const;

 private:
  struct Entry {
    std::string body;
    std::size_t deliveries = 0;
    bool applied = false;
  };
  void AddAnomaly(std::string what);

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  Figures figures_;
  std::vector<std::string> anomaly_examples_;
};

}  // namespace hookfence::chaos
