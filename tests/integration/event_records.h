// Records in chosen states, written straight into a store with the store's own calls (no gateway
// and no dispatcher in between): what the admin API and `hookfence events` tests start from.
// Thread-safety: plain functions; the store may be shared.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "hookfence/clock.h"
#include "hookfence/store.h"

namespace hookfence::testing {

// The body stored for `key` (its fingerprint is the record's).
std::string EventBody(const std::string& key);

// IN_PROGRESS, leased to the test for 30 s: no dispatcher claims it while the clock stands still.
// Returns the fence.
std::uint64_t PutInProgress(Store& store, const std::string& key);
// DEAD after one failed attempt with fence 1 (status 400, error "final 400"), payload kept.
void PutDead(Store& store, Clock& clock, const std::string& key);
// COMPLETED by the dispatcher after one attempt with fence 1.
void PutCompleted(Store& store, Clock& clock, const std::string& key);
// COMPLETED by a caller (sync mode, Begin): never replayable.
void PutCallerCompleted(Store& store, Clock& clock, const std::string& key);

// The record was replayed: waiting for or in delivery, and every attempt it shows since is a new
// claim's (fence above the 1 the Put helpers used), so its attempt count was reset.
::testing::AssertionResult Replayed(Store& store, const std::string& key);
// The record is still in `state`.
::testing::AssertionResult InState(Store& store, const std::string& key, State state);

}  // namespace hookfence::testing
