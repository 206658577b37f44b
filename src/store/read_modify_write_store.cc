#include "src/store/read_modify_write_store.h"

#include <utility>

#include "hookfence/keys.h"
#include "src/store/transitions.h"

namespace hookfence::store::internal {

Status ReadModifyWriteStore::Complete(std::string_view key, std::uint64_t fence, Attempt attempt,
                                      std::optional<Response> response) {
  HF_RETURN_IF_ERROR(ValidateKey(key));
  return Mutate(
      key,
      [&](Record& record, Timestamp now) {
        HF_RETURN_IF_ERROR(CheckOwner(record, fence));
        ApplyComplete(record, now, std::move(attempt), std::move(response));
        return Status::Ok();
      },
      /*with_payload=*/false);
}

Status ReadModifyWriteStore::Fail(FailRequest request) {
  HF_RETURN_IF_ERROR(ValidateKey(request.key));
  const std::string key = request.key;
  return Mutate(
      key,
      [&](Record& record, Timestamp now) {
        HF_RETURN_IF_ERROR(CheckOwner(record, request.fence));
        return ApplyFail(record, now, std::move(request));
      },
      /*with_payload=*/false);
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
  return Mutate(
      key,
      [&](Record& record, Timestamp now) {
        HF_RETURN_IF_ERROR(CheckOwner(record, fence));
        ApplyRelease(record, now);
        return Status::Ok();
      },
      /*with_payload=*/false);
}

Status ReadModifyWriteStore::Replay(std::string_view key) {
  HF_RETURN_IF_ERROR(ValidateKey(key));
  // The payload must be read to know whether retention left one to replay.
  return Mutate(
      key, [](Record& record, Timestamp now) { return ApplyReplay(record, now); },
      /*with_payload=*/true);
}

}  // namespace hookfence::store::internal
