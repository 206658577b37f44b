#include "src/store/read_modify_write_store.h"

#include <functional>
#include <utility>

#include "hookfence/keys.h"
#include "src/store/transitions.h"

namespace hookfence::store::internal {

namespace {

// ReadModifyWriteStore::Change, which is protected.
using Change = std::function<Status(Record& record, Timestamp now)>;

// The owner's changes, owning their arguments so that a queued change outlives its caller. They
// copy from what they own: a backend may run a change again after a lock conflict.
Change CompleteChange(std::uint64_t fence, Attempt attempt, std::optional<Response> response) {
  return [fence, attempt = std::move(attempt), response = std::move(response)](Record& record,
                                                                               Timestamp now) {
    HF_RETURN_IF_ERROR(CheckOwner(record, fence));
    ApplyComplete(record, now, attempt, response);
    return Status::Ok();
  };
}

Change FailChange(FailRequest request) {
  return [request = std::move(request)](Record& record, Timestamp now) {
    HF_RETURN_IF_ERROR(CheckOwner(record, request.fence));
    return ApplyFail(record, now, FailRequest(request));
  };
}

Change ReleaseChange(std::uint64_t fence) {
  return [fence](Record& record, Timestamp now) {
    HF_RETURN_IF_ERROR(CheckOwner(record, fence));
    ApplyRelease(record, now);
    return Status::Ok();
  };
}

}  // namespace

Status ReadModifyWriteStore::Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                                      std::optional<Response> response) {
  HF_RETURN_IF_ERROR(ValidateKey(key));
  return Mutate(key, CompleteChange(fence, std::move(attempt), std::move(response)),
                /*with_payload=*/false);
}

Status ReadModifyWriteStore::Fail(FailRequest request) {
  HF_RETURN_IF_ERROR(ValidateKey(request.key));
  const std::string key = request.key;
  return Mutate(key, FailChange(std::move(request)), /*with_payload=*/false);
}

void ReadModifyWriteStore::CompleteAsync(std::string key, std::uint64_t fence, Attempt attempt,
                                         std::optional<Response> response, WriteCallback done) {
  if (Status valid = ValidateKey(key); !valid.ok()) return done(valid);
  MutateAsync(std::move(key), CompleteChange(fence, std::move(attempt), std::move(response)),
              /*with_payload=*/false, std::move(done));
}

void ReadModifyWriteStore::FailAsync(FailRequest request, WriteCallback done) {
  if (Status valid = ValidateKey(request.key); !valid.ok()) return done(valid);
  std::string key = request.key;
  MutateAsync(std::move(key), FailChange(std::move(request)), /*with_payload=*/false,
              std::move(done));
}

void ReadModifyWriteStore::ReleaseAsync(std::string key, std::uint64_t fence, WriteCallback done) {
  if (Status valid = ValidateKey(key); !valid.ok()) return done(valid);
  MutateAsync(std::move(key), ReleaseChange(fence), /*with_payload=*/false, std::move(done));
}

Result<Timestamp> ReadModifyWriteStore::Renew(std::string_view key, std::uint64_t fence,
                                              Duration lease) {
  HF_RETURN_IF_ERROR(ValidateKey(key));
  HF_RETURN_IF_ERROR(ValidateLease(lease));
  Timestamp lease_until;
  HF_RETURN_IF_ERROR(Mutate(
      key,
      [&](Record& record, Timestamp now) {
        HF_RETURN_IF_ERROR(CheckOwner(record, fence));
        lease_until = ApplyRenew(record, now, lease);
        return Status::Ok();
      },
      /*with_payload=*/false));
  return lease_until;
}

Status ReadModifyWriteStore::Release(std::string_view key, std::uint64_t fence) {
  HF_RETURN_IF_ERROR(ValidateKey(key));
  return Mutate(key, ReleaseChange(fence), /*with_payload=*/false);
}

Status ReadModifyWriteStore::Replay(std::string_view key) {
  HF_RETURN_IF_ERROR(ValidateKey(key));
  // The payload must be read to know whether retention left one to replay.
  return Mutate(
      key, [](Record& record, Timestamp now) { return ApplyReplay(record, now); },
      /*with_payload=*/true);
}

}  // namespace hookfence::store::internal
