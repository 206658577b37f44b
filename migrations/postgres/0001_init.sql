-- hookfence PostgreSQL schema, version 1. One row per event key (DESIGN §2), in the schema the
-- store URL names (search_path is set to it on every connection).
-- Timestamps are microseconds since the Unix epoch from hookfence's clock, never the server's.
-- Enumerations: driver 0 dispatcher, 1 caller; state 0 pending, 1 in_progress, 2 completed, 3 dead.
-- Free-form bytes (fingerprint, ordering key, errors, bodies) are BYTEA so that no text encoding
-- can refuse them; response and payload_headers use hookfence's record codec (record_codec.h).

-- One entry of a record's attempt log. A composite type (not a codec blob) so that a takeover of
-- a lapsed lease can append its "lease expired" entry inside the one statement that takes over.
CREATE TYPE hookfence_attempt AS (
  at BIGINT,
  fence BIGINT,
  status INTEGER,
  error BYTEA,
  latency BIGINT
);

-- `log` with `entry` appended, keeping the newest `keep` entries.
CREATE FUNCTION hookfence_append_attempt(log hookfence_attempt[], entry hookfence_attempt,
                                         keep INTEGER)
  RETURNS hookfence_attempt[] LANGUAGE sql IMMUTABLE
  AS $$ SELECT (log || entry)[greatest(1, cardinality(log) + 2 - keep):] $$;

CREATE TABLE events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT NOT NULL,
  source TEXT NOT NULL,
  fingerprint BYTEA NOT NULL,
  driver SMALLINT NOT NULL,
  state SMALLINT NOT NULL,
  fence BIGINT NOT NULL,
  lease_until BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  due_at BIGINT,
  ordering_key BYTEA,
  received_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT,
  last_error BYTEA NOT NULL DEFAULT '',
  attempt_log hookfence_attempt[] NOT NULL DEFAULT '{}',
  tombstone BOOLEAN NOT NULL DEFAULT false,
  response BYTEA,
  payload_body BYTEA,
  payload_headers BYTEA,
  CONSTRAINT events_key UNIQUE (key)
);
-- ClaimDue: dispatcher-driven records that wait for a due time, or hold a lease that may lapse.
CREATE INDEX events_due ON events (due_at, seq) WHERE driver = 0 AND state = 0;
CREATE INDEX events_leased ON events (lease_until, seq) WHERE driver = 0 AND state = 1;
-- Ordering keys: is an earlier record of the same source and key unfinished (or dead)?
CREATE INDEX events_ordering ON events (source, ordering_key, state, seq)
  WHERE ordering_key IS NOT NULL;
-- Retention: finished records whose payload may go, and tombstones whose key may go.
CREATE INDEX events_live_finished ON events (finished_at)
  WHERE state IN (2, 3) AND NOT tombstone;
CREATE INDEX events_finished ON events (finished_at) WHERE state IN (2, 3);
-- CountQueues: the live dead letters, without reading the table.
CREATE INDEX events_dead_letters ON events (seq) WHERE driver = 0 AND state = 3 AND NOT tombstone;
CREATE INDEX events_received ON events (received_at);

-- The record count for StoreOptions::capacity, kept in the transactions that insert or erase and
-- split over 16 rows so that gateways sharing the store rarely wait for each other's counter row.
CREATE TABLE hookfence_counters (
  shard INTEGER PRIMARY KEY,
  records BIGINT NOT NULL
);
INSERT INTO hookfence_counters (shard, records) SELECT s, 0 FROM generate_series(0, 15) AS s;
