// ReadModifyWriteStore: the owner operations (Complete, Fail, Renew, Release) and Replay, written
// once for every backend that can change one record atomically with a read-modify-write.
//
// A backend supplies Mutate(); the rules themselves live in transitions.h.
// Thread-safety: as the backend's Mutate.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "hookfence/store.h"

namespace hookfence::store::internal {

class ReadModifyWriteStore : public Store {
 public:
  Status Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                  std::optional<Response> response) override;
  Status Fail(FailRequest request) override;
  Result<Timestamp> Renew(std::string_view key, std::uint64_t fence, Duration lease) override;
  Status Release(std::string_view key, std::uint64_t fence) override;
  Status Replay(std::string_view key) override;
  void CompleteAsync(std::string key, std::uint64_t fence, Attempt attempt,
                     std::optional<Response> response, WriteCallback done) override;
  void FailAsync(FailRequest request, WriteCallback done) override;
  void ReleaseAsync(std::string key, std::uint64_t fence, WriteCallback done) override;

 protected:
  using Change = std::function<Status(Record& record, Timestamp now)>;

  // Atomically: reads the record of `key` (kNotFound if absent; its payload only when
  // `with_payload`), applies `change` at the store's now, and writes the record back unless
  // `change` failed, in which case nothing is written and its Status is returned. The key is
  // already validated.
  virtual Status Mutate(std::string_view key, const Change& change, bool with_payload) = 0;
  // Mutate, answered through `done` (see Store::CompleteAsync). The default runs Mutate on the
  // calling thread; a backend with a writer queue overrides it to only queue the change.
  virtual void MutateAsync(std::string key, Change change, bool with_payload, WriteCallback done) {
    done(Mutate(key, change, with_payload));
  }
};

}  // namespace hookfence::store::internal
