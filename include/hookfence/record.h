// The idempotency record and its parts (DESIGN §2): what a store keeps for one event key.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hookfence/clock.h"

namespace hookfence {

// PENDING → IN_PROGRESS → COMPLETED, or → DEAD. A failed attempt is PENDING with last_error set
// and a later due_at: retryable by construction.
enum class State : int { kPending = 0, kInProgress = 1, kCompleted = 2, kDead = 3 };

// Who runs the work: the gateway's dispatcher (Accept/ClaimDue) or the caller itself (Begin).
enum class Driver : int { kDispatcher = 0, kCaller = 1 };

std::string_view StateName(State state);     // "pending", "in_progress", "completed", "dead"
std::string_view DriverName(Driver driver);  // "dispatcher", "caller"
// Parses the names above; nullopt for anything else.
std::optional<State> ParseState(std::string_view name);

using Headers = std::vector<std::pair<std::string, std::string>>;

// The raw event: body bytes as received plus the request headers worth forwarding.
struct Payload {
  std::string body;
  Headers headers;

  friend bool operator==(const Payload&, const Payload&) = default;
};

// A stored answer, replayed byte for byte to later duplicates (sync mode).
struct Response {
  int status = 0;
  Headers headers;
  std::string body;

  friend bool operator==(const Response&, const Response&) = default;
};

// One finished (or lost) attempt, as kept in the record's attempt_log.
struct Attempt {
  Timestamp at;
  std::uint64_t fence = 0;
  int status = 0;     // the destination's HTTP status, 0 when there was none
  std::string error;  // what went wrong, empty on success
  Duration latency{0};

  friend bool operator==(const Attempt&, const Attempt&) = default;
};

// The attempt_log keeps this many of the most recent attempts.
inline constexpr std::size_t kAttemptLogSize = 20;

struct Record {
  std::string key;          // source + ":" + event_id
  std::string fingerprint;  // SHA-256 of the raw body, lower-case hex
  Driver driver = Driver::kDispatcher;
  State state = State::kPending;
  std::uint64_t seq = 0;                 // store-assigned, increasing: receipt order
  std::uint64_t fence = 0;               // never decreases; each claim or takeover adds one
  std::optional<Timestamp> lease_until;  // set while IN_PROGRESS
  std::uint32_t attempts = 0;            // finished attempts (DESIGN §2)
  std::optional<Timestamp> due_at;       // set while PENDING
  std::string ordering_key;              // empty: unordered
  Timestamp received_at;
  Timestamp updated_at;
  std::optional<Timestamp> finished_at;  // set when COMPLETED or DEAD
  std::string last_error;
  std::vector<Attempt> attempt_log;  // oldest first, at most kAttemptLogSize
  std::optional<Payload> payload;    // gone once retention made the record a tombstone
  std::optional<Response> response;  // sync mode's stored answer
  bool tombstone = false;            // payload and response dropped by retention

  // The part of the key before the first ':'.
  std::string_view source() const;
  // The part of the key after the first ':'.
  std::string_view event_id() const;
  bool finished() const { return state == State::kCompleted || state == State::kDead; }

  friend bool operator==(const Record&, const Record&) = default;
};

}  // namespace hookfence
