-- hookfence SQLite schema, version 1. One row per event key (DESIGN §2).
-- A rowid table (seq is the rowid: store-assigned, increasing) with a UNIQUE index on key.
-- Timestamps are microseconds since the Unix epoch. Enumerations:
--   driver: 0 dispatcher, 1 caller; state: 0 pending, 1 in_progress, 2 completed, 3 dead.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  source TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  driver INTEGER NOT NULL,
  state INTEGER NOT NULL,
  fence INTEGER NOT NULL,
  lease_until INTEGER,
  attempts INTEGER NOT NULL,
  due_at INTEGER,
  ordering_key TEXT,
  received_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  attempt_log BLOB,
  tombstone INTEGER NOT NULL DEFAULT 0,
  response BLOB,
  payload_body BLOB,
  payload_headers BLOB
);
CREATE UNIQUE INDEX events_key ON events(key);
-- ClaimDue: dispatcher-driven records that wait for a due time, or hold a lease that may lapse.
CREATE INDEX events_due ON events(due_at, seq) WHERE driver = 0 AND state = 0;
CREATE INDEX events_leased ON events(lease_until, seq) WHERE driver = 0 AND state = 1;
-- Ordering keys: is an earlier record of the same source and key unfinished (or dead)?
CREATE INDEX events_ordering ON events(source, ordering_key, state, seq)
  WHERE ordering_key IS NOT NULL;
-- Retention sweeps and listings.
CREATE INDEX events_finished ON events(finished_at) WHERE state IN (2, 3);
CREATE INDEX events_received ON events(received_at);
-- Counters kept with the data (the record count for capacity, without a scan on start).
CREATE TABLE store_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO store_meta (name, value) VALUES ('record_count', 0);
