// The SQL of the PostgreSQL store (postgres_store.cc), one prepared statement per operation, over
// the schema of migrations/postgres/. Every statement that changes a record is a single statement,
// so it is atomic by itself; the rules mirror transitions.h (the conformance suite holds both to
// the same behaviour), and where a statement changes nothing the store decides why with
// transitions.h on the row it read.
//
// Statements that may find a row they do not change end in the same pattern:
//   WITH w AS (<insert or update> RETURNING …)
//   SELECT true, … FROM w UNION ALL SELECT false, … FROM events WHERE key = … AND NOT EXISTS (w)
// so one round trip answers both "changed" and "why not". The second branch reads the statement's
// snapshot; when a concurrent commit landed between that snapshot and the row lock (READ
// COMMITTED), the two disagree, and the store runs the statement again with a fresh snapshot.
// Thread-safety: constant data.
#pragma once

#include "src/store/postgres_connection.h"

namespace hookfence::store::internal::pg_sql {

// The record columns every read selects, in this order (ReadRecord in postgres_store.cc); the
// payload columns come last so that reads without the body leave them out.
#define HF_PG_COLUMNS(p)                                                                         \
  p "seq, " p "key, " p "fingerprint, " p "driver, " p "state, " p "fence, " p "lease_until, " p \
    "attempts, " p "due_at, " p "ordering_key, " p "received_at, " p "updated_at, " p            \
    "finished_at, " p "last_error, " p "attempt_log, " p "tombstone, " p "response"
#define HF_PG_PAYLOAD_COLUMNS(p) ", " p "payload_body, " p "payload_headers"

// A takeover (transitions.h TakeOver) of row `e` with $1 now, $2 lease, $3 the lost attempt's
// error and $4 the attempt log's length: a lapsed lease counts as a lost attempt.
#define HF_PG_TAKEOVER                                                                      \
  "fence = e.fence + 1, state = 1, lease_until = $1 + $2, due_at = NULL, updated_at = $1, " \
  "attempts = e.attempts + CASE WHEN e.state = 1 THEN 1 ELSE 0 END, "                       \
  "attempt_log = CASE WHEN e.state = 1 THEN hookfence_append_attempt(e.attempt_log, "       \
  "ROW($1, e.fence, 0, $3, 0)::hookfence_attempt, $4) ELSE e.attempt_log END"

// Begin may take row `e` over: caller-driven, and PENDING or with a lease lapsed ($5 the skew).
#define HF_PG_BEGIN_TAKEABLE \
  "e.driver = 1 AND (e.state = 0 OR (e.state = 1 AND e.lease_until <= $1 - $5))"

// Begin's answer: (true, seq, fence, lease_until) when it acquired the record, else (false, the
// row's seq, fence, lease_until, driver, state, fingerprint, due_at, response).
#define HF_PG_BEGIN_ANSWER                                                               \
  "SELECT true, seq, fence, lease_until, NULL::smallint, NULL::smallint, NULL::bytea, "  \
  "NULL::bigint, NULL::bytea FROM w UNION ALL "                                          \
  "SELECT false, seq, fence, lease_until, driver, state, fingerprint, due_at, response " \
  "FROM events WHERE key = $6 AND NOT EXISTS (SELECT 1 FROM w)"

// Begin: $1 now, $2 lease, $3 lost-attempt error, $4 log length, $5 skew, $6 key, $7 source,
// $8 fingerprint, $9 body, $10 headers. Claims a new key, takes over a takeable one (the ON
// CONFLICT clause locks the row, so concurrent Begins of one key queue behind each other), or
// reports the row as it is.
inline constexpr PgSql kBeginUpsert = {
    "hf_begin_upsert",
    "WITH w AS (INSERT INTO events AS e (key, source, fingerprint, driver, state, fence, "
    "lease_until, received_at, updated_at, payload_body, payload_headers) "
    "VALUES ($6, $7, $8, 1, 1, 1, $1 + $2, $1, $1, $9, $10) "
    "ON CONFLICT (key) DO UPDATE SET " HF_PG_TAKEOVER
    " WHERE e.fingerprint = EXCLUDED.fingerprint AND " HF_PG_BEGIN_TAKEABLE
    " RETURNING e.seq, e.fence, e.lease_until) " HF_PG_BEGIN_ANSWER};

// Begin at capacity: the same parameters, but a new key is not inserted (no row: Full).
inline constexpr PgSql kBeginTakeover = {
    "hf_begin_takeover", "WITH w AS (UPDATE events e SET " HF_PG_TAKEOVER
                         " WHERE e.key = $6 AND e.fingerprint = $8 AND " HF_PG_BEGIN_TAKEABLE
                         " RETURNING e.seq, e.fence, e.lease_until) " HF_PG_BEGIN_ANSWER};

// Accept: $1 now, $2 lease (NULL: none asked for), $3 key, $4 source, $5 fingerprint,
// $6 ordering key (NULL: none), $7 body, $8 headers. Inserts the record leased, or PENDING when
// no lease was asked for or an unfinished record of its ordering group exists (the store holds
// the group's advisory lock, so that check cannot race another Accept); else reports the row.
// Answer: (inserted?, seq, state, fence, lease_until, fingerprint of an existing row).
inline constexpr PgSql kAcceptInsert = {
    "hf_accept_insert",
    "WITH b AS (SELECT $2::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events "
    "WHERE source = $4 AND ordering_key = $6 AND state IN (0, 1)) AS leased), "
    "w AS (INSERT INTO events (key, source, fingerprint, driver, state, fence, lease_until, "
    "due_at, ordering_key, received_at, updated_at, payload_body, payload_headers) "
    "SELECT $3, $4, $5, 0, CASE WHEN leased THEN 1 ELSE 0 END, CASE WHEN leased THEN 1 ELSE 0 END, "
    "CASE WHEN leased THEN $1 + $2 END, CASE WHEN leased THEN NULL ELSE $1 END, $6, $1, $1, $7, $8 "
    "FROM b ON CONFLICT (key) DO NOTHING RETURNING seq, state, fence, lease_until) "
    "SELECT true, seq, state, fence, lease_until, NULL::bytea FROM w UNION ALL "
    "SELECT false, seq, state, fence, lease_until, fingerprint FROM events "
    "WHERE key = $3 AND NOT EXISTS (SELECT 1 FROM w)"};

// Accept at capacity: the same parameters; only reports an existing row (no row: Full).
inline constexpr PgSql kAcceptLookup = {
    "hf_accept_lookup",
    "SELECT false, seq, state, fence, lease_until, fingerprint FROM events WHERE key = $3"};

// An ordering group's lock, held until the batch's transaction ends.
inline constexpr PgSql kGroupLock = {"hf_group_lock", "SELECT pg_advisory_xact_lock($1)"};

inline constexpr PgSql kRecordCount = {
    "hf_record_count", "SELECT coalesce(sum(records), 0)::bigint FROM hookfence_counters"};

// $1 delta, $2 shard.
inline constexpr PgSql kAddRecords = {
    "hf_add_records", "UPDATE hookfence_counters SET records = records + $1 WHERE shard = $2"};

// No earlier record of row e's ordering group is unfinished.
#define HF_PG_FIRST_OF_GROUP                                                           \
  "(e.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM events p WHERE "               \
  "p.source = e.source AND p.ordering_key = e.ordering_key AND p.state IN (0, 1) AND " \
  "p.seq < e.seq))"

// ClaimDue: $1 now, $2 lease, $3 lost-attempt error, $4 log length, $5 skew, $6 limit. Locks the
// longest-due records of each partial index (skipping rows another claimer holds), merges them,
// and takes over the first $6. Answer: when each became claimable, the record after the claim
// (payload included), and whether a DEAD record precedes it in its ordering group.
inline constexpr PgSql kClaimDue = {
    "hf_claim_due",
    "WITH d AS (SELECT seq, due_at AS at FROM events e WHERE driver = 0 AND state = 0 AND "
    "due_at <= $1 AND " HF_PG_FIRST_OF_GROUP
    " ORDER BY due_at, seq LIMIT $6 FOR UPDATE SKIP LOCKED), "
    "l AS (SELECT seq, lease_until + $5 AS at FROM events e WHERE driver = 0 AND state = 1 AND "
    "lease_until <= $1 - $5 AND " HF_PG_FIRST_OF_GROUP
    " ORDER BY lease_until, seq LIMIT $6 FOR UPDATE SKIP LOCKED), "
    "c AS (SELECT seq, at FROM (SELECT seq, at FROM d UNION ALL SELECT seq, at FROM l) u "
    "ORDER BY at, seq LIMIT $6) "
    "UPDATE events e SET " HF_PG_TAKEOVER
    " FROM c WHERE e.seq = c.seq RETURNING c.at, " HF_PG_COLUMNS("e.")
        HF_PG_PAYLOAD_COLUMNS("e.") ", e.ordering_key IS NOT NULL AND EXISTS (SELECT 1 FROM "
                                    "events p WHERE p.source = e.source AND p.ordering_key = "
                                    "e.ordering_key AND p.state = 3 AND p.seq < e.seq)"};

// The owner operations' answer: (true, …) when the update was made, else the row's driver,
// state, fence, tombstone and whether it has a payload (no row: the key is unknown).
#define HF_PG_OWNER_ANSWER                                                                  \
  " RETURNING e.lease_until) "                                                              \
  "SELECT true, NULL::smallint, NULL::smallint, NULL::bigint, lease_until, NULL::boolean, " \
  "NULL::boolean FROM w UNION ALL "                                                         \
  "SELECT false, driver, state, fence, lease_until, tombstone, payload_body IS NOT NULL "   \
  "FROM events WHERE key = $2 AND NOT EXISTS (SELECT 1 FROM w)"

// The owner's attempt ($4 at, $5 fence, $6 status, $7 error, $8 latency) appended to the log
// ($9 its length).
#define HF_PG_APPEND_ATTEMPT                                                   \
  "attempt_log = hookfence_append_attempt(e.attempt_log, ROW($4, $5, $6, $7, " \
  "$8)::hookfence_attempt, $9)"

// Complete: $1 now, $2 key, $3 fence, $4-$9 the attempt, $10 response (NULL: none).
inline constexpr PgSql kComplete = {
    "hf_complete",
    "WITH w AS (UPDATE events e SET state = 2, attempts = e.attempts + 1, " HF_PG_APPEND_ATTEMPT
    ", lease_until = NULL, due_at = NULL, finished_at = $1, updated_at = $1, response = $10 "
    "WHERE e.key = $2 AND e.fence = $3 AND e.state = 1" HF_PG_OWNER_ANSWER};

// Fail: $1 now, $2 key, $3 fence, $4-$9 the attempt, $10 last error, $11 dead, $12 retry at.
inline constexpr PgSql kFail = {
    "hf_fail",
    "WITH w AS (UPDATE events e SET attempts = e.attempts + 1, " HF_PG_APPEND_ATTEMPT
    ", last_error = $10, lease_until = NULL, updated_at = $1, "
    "state = CASE WHEN $11 THEN 3 ELSE 0 END, due_at = CASE WHEN $11 THEN NULL ELSE $12 END, "
    "finished_at = CASE WHEN $11 THEN $1 ELSE e.finished_at END "
    "WHERE e.key = $2 AND e.fence = $3 AND e.state = 1 AND NOT ($11 AND e.driver = "
    "1)" HF_PG_OWNER_ANSWER};

// Renew: $1 now, $2 key, $3 fence, $4 lease.
inline constexpr PgSql kRenew = {
    "hf_renew",
    "WITH w AS (UPDATE events e SET lease_until = $1 + $4, updated_at = $1 "
    "WHERE e.key = $2 AND e.fence = $3 AND e.state = 1" HF_PG_OWNER_ANSWER};

// Release: $1 now, $2 key, $3 fence.
inline constexpr PgSql kRelease = {
    "hf_release",
    "WITH w AS (UPDATE events e SET state = 0, lease_until = NULL, due_at = $1, updated_at = $1 "
    "WHERE e.key = $2 AND e.fence = $3 AND e.state = 1" HF_PG_OWNER_ANSWER};

// Replay: $1 now, $2 key.
inline constexpr PgSql kReplay = {
    "hf_replay",
    "WITH w AS (UPDATE events e SET state = 0, attempts = 0, due_at = $1, finished_at = NULL, "
    "response = NULL, updated_at = $1 WHERE e.key = $2 AND e.driver = 0 AND e.state IN (2, 3) "
    "AND NOT e.tombstone AND e.payload_body IS NOT NULL" HF_PG_OWNER_ANSWER};

// Purge: $1 key, $2 counter shard. Answer: how many rows went (0 or 1).
inline constexpr PgSql kPurge = {
    "hf_purge",
    "WITH gone AS (DELETE FROM events WHERE key = $1 RETURNING seq), "
    "counted AS (UPDATE hookfence_counters SET records = records - 1 WHERE shard = $2 AND "
    "EXISTS (SELECT 1 FROM gone)) SELECT count(*) FROM gone"};

inline constexpr PgSql kGet = {
    "hf_get", "SELECT " HF_PG_COLUMNS("") HF_PG_PAYLOAD_COLUMNS("") " FROM events WHERE key = $1"};

// CountQueues: $1 now. One statement, so one snapshot; each count walks a partial index.
inline constexpr PgSql kCountQueues = {
    "hf_count_queues",
    "SELECT (SELECT count(*) FROM events WHERE driver = 0 AND state = 0 AND due_at <= $1), "
    "(SELECT count(*) FROM events WHERE driver = 0 AND state = 0), "
    "(SELECT count(*) FROM events WHERE driver = 0 AND state = 1), "
    "(SELECT count(*) FROM events WHERE driver = 0 AND state = 3 AND NOT tombstone)"};

// The payload of row e has outlived its retention: $2 for COMPLETED, $3 for DEAD (cut-offs).
#define HF_PG_PAYLOAD_EXPIRED \
  "((state = 2 AND finished_at <= $2) OR (state = 3 AND finished_at <= $3))"

// One chunk of Sweep: $1 now, $2 completed cut-off, $3 dead cut-off, $4 key cut-off, $5 chunk,
// $6 counter shard. Erases up to $5 records past key retention and makes up to $5 others
// tombstones (exactly SweepActionFor's choices), skipping rows other transactions hold.
// Answer: (erase candidates, drop candidates, erased, dropped).
inline constexpr PgSql kSweepChunk = {
    "hf_sweep_chunk",
    "WITH er AS (SELECT seq FROM events WHERE state IN (2, 3) AND finished_at <= $4 "
    "AND " HF_PG_PAYLOAD_EXPIRED
    " ORDER BY finished_at LIMIT $5 FOR UPDATE SKIP LOCKED), "
    "dr AS (SELECT seq FROM events WHERE state IN (2, 3) AND NOT tombstone AND finished_at > $4 "
    "AND " HF_PG_PAYLOAD_EXPIRED
    " ORDER BY finished_at LIMIT $5 FOR UPDATE SKIP LOCKED), "
    "gone AS (DELETE FROM events e USING er WHERE e.seq = er.seq RETURNING e.seq), "
    "dropped AS (UPDATE events e SET payload_body = NULL, payload_headers = NULL, "
    "response = NULL, tombstone = true, updated_at = $1 FROM dr WHERE e.seq = dr.seq "
    "RETURNING e.seq), "
    "counted AS (UPDATE hookfence_counters SET records = records - (SELECT count(*) FROM gone) "
    "WHERE shard = $6 AND EXISTS (SELECT 1 FROM gone)) "
    "SELECT (SELECT count(*) FROM er), (SELECT count(*) FROM dr), (SELECT count(*) FROM gone), "
    "(SELECT count(*) FROM dropped)"};

#undef HF_PG_TAKEOVER
#undef HF_PG_BEGIN_TAKEABLE
#undef HF_PG_BEGIN_ANSWER
#undef HF_PG_FIRST_OF_GROUP
#undef HF_PG_OWNER_ANSWER
#undef HF_PG_APPEND_ATTEMPT
#undef HF_PG_PAYLOAD_EXPIRED

}  // namespace hookfence::store::internal::pg_sql
