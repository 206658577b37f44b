-- hookfence SQLite schema, version 2: an index of the live dead letters (dispatcher-driven, DEAD,
-- not yet a tombstone), so that CountQueues, which metrics call often, counts them without
-- reading the table.
CREATE INDEX events_dead_letters ON events(seq) WHERE driver = 0 AND state = 3 AND tombstone = 0;
