// The Redis backend's data layout: the Lua scripts that change it and the C++ side of its record
// fields. Every state change of a record (and its indexes) is one script, so Redis runs it
// atomically; the reads that must be one snapshot are scripts too.
//
// Each script's ARGV starts with the key prefix and the caller's now (microseconds since the epoch,
// from StoreOptions::clock: the scripts never ask Redis for the time). Redis does not roll back a
// script that fails midway, so a script makes every check on a record before its first write to
// it, and the scripts that touch many records (ClaimDue, Sweep) finish one before the next.
//
// Data layout under prefix P (DESIGN §4; see redis_scripts.cc for the fields of a record):
//   P:r:<key>            hash: one record
//   P:seq                counter: the last seq handed out
//   P:count              counter: records held (capacity)
//   P:all, P:s:<source>  sorted sets key by seq (List)
//   P:due, P:leased      sorted sets of dispatcher-driven PENDING by due_at and IN_PROGRESS by
//                        lease_until; members are the 20-digit seq followed by the key, so equal
//                        times are taken in receipt order (ClaimDue, CountQueues)
//   P:o:<source>:<ok>    sorted set key by seq: the unfinished records of an ordering group
//   P:d:<source>:<ok>    sorted set key by seq: the DEAD records of an ordering group
//   P:fc, P:fd, P:ft     sorted sets key by finished_at: COMPLETED and DEAD records with their
//                        payload, and tombstones (Sweep; P:fd also counts the dead letters)
//   P:layout             hash: version and readable_by of this layout (migration.h)
// Thread-safety: constant data and pure functions.
#pragma once

#include <string>

#include "hookfence/record.h"
#include "hookfence/result.h"
#include "src/store/redis_connection.h"

namespace hookfence::store::internal {

enum class RedisScript {
  kAccept,
  kBegin,
  kClaimDue,
  kComplete,
  kFail,
  kRenew,
  kRelease,
  kReplay,
  kPurge,
  kSweep,
  kCountQueues,
  kList,
  kSetLayout,
};
inline constexpr int kRedisScriptCount = 13;

// The full Lua source of `script` (the shared helpers followed by its body).
const std::string& RedisScriptSource(RedisScript script);

// A short name for error messages, e.g. "accept".
const char* RedisScriptName(RedisScript script);

// An attempt as the scripts keep it in a record's log: "at|fence|status|latency|error".
std::string EncodeRedisAttempt(const Attempt& attempt);

// A record from its hash fields as name, value pairs (an HGETALL reply, or the scripts' own
// selection); the payload and response only when the pairs hold them. kInternal for a field
// this build cannot read.
Result<Record> ParseRedisRecord(std::string key, ReplyView pairs);

}  // namespace hookfence::store::internal
