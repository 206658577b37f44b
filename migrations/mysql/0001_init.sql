-- hookfence MySQL/MariaDB schema, version 1: one InnoDB row per event key (DESIGN §2).
-- seq is an AUTO_INCREMENT primary key (store-assigned, increasing: receipt order; gaps are
-- harmless); event_key is VARBINARY with a UNIQUE index. Every text column is binary (VARBINARY,
-- BLOB): keys, bodies, headers and errors are kept byte for byte, whatever the server's collation.
-- Timestamps are BIGINT microseconds since the Unix epoch, from the store's clock (never NOW()).
-- Enumerations: driver 0 dispatcher, 1 caller; state 0 pending, 1 in_progress, 2 completed, 3 dead.
-- MySQL commits every DDL statement on its own, so each one is idempotent (IF NOT EXISTS,
-- INSERT IGNORE): a migration cut short runs again cleanly. GET_LOCK keeps two gateways from
-- running it at the same time.
CREATE TABLE IF NOT EXISTS events (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_key VARBINARY(512) NOT NULL,
  source VARBINARY(64) NOT NULL,
  fingerprint VARBINARY(128) NOT NULL,
  driver TINYINT NOT NULL,
  state TINYINT NOT NULL,
  fence BIGINT UNSIGNED NOT NULL,
  lease_until BIGINT NULL,
  attempts INT UNSIGNED NOT NULL,
  due_at BIGINT NULL,
  ordering_key VARBINARY(256) NULL,
  received_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT NULL,
  last_error MEDIUMBLOB NOT NULL,
  attempt_log MEDIUMBLOB NULL,
  tombstone TINYINT NOT NULL DEFAULT 0,
  response LONGBLOB NULL,
  payload_body LONGBLOB NULL,
  payload_headers MEDIUMBLOB NULL,
  PRIMARY KEY (seq),
  UNIQUE KEY events_key (event_key),
  -- ClaimDue walks PENDING records by due_at and IN_PROGRESS ones by lease_until, in index
  -- order, without locks, then locks each candidate by seq (FOR UPDATE SKIP LOCKED): a locking
  -- range scan would also lock the row just past its range, hiding it from other claims.
  KEY events_due (driver, state, due_at, seq),
  KEY events_leased (driver, state, lease_until, seq),
  -- Ordering keys: is an earlier record of the same source and key unfinished (or dead)?
  KEY events_ordering (source, ordering_key, state, seq),
  -- Retention sweeps, listings by time, and the dead-letter count of CountQueues.
  KEY events_finished (finished_at),
  KEY events_received (received_at),
  KEY events_dead_letters (driver, state, tombstone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC;

-- One row per (source, ordering key), locked by every Accept of that group (INSERT … ON DUPLICATE
-- KEY UPDATE) before it decides between leased and queued, so two concurrent Accepts of a group
-- cannot both see "no unfinished record". Only a mutex: Sweep deletes rows unused for a while.
CREATE TABLE IF NOT EXISTS ordering_locks (
  source VARBINARY(64) NOT NULL,
  ordering_key VARBINARY(256) NOT NULL,
  used_at BIGINT NOT NULL,
  PRIMARY KEY (source, ordering_key)
) ENGINE=InnoDB;

-- Counters kept with the data, changed in the same transactions as the rows they count (the
-- record count for capacity, without a scan per call).
CREATE TABLE IF NOT EXISTS store_meta (
  name VARBINARY(64) NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB;
INSERT IGNORE INTO store_meta (name, value) VALUES ('record_count', 0);
