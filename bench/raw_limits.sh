# The shared stores' servers doing hookfence's work alone, for bench/shared_stores.sh and
# bench/run.sh (docs/benchmarks.md §3 and §4). Source it; every function prints one figure.

# pgbench: a single-row INSERT … ON CONFLICT … RETURNING of a new 1.5 KB row per transaction (a
# claim in one statement) with `clients` clients for `seconds`; prints the transactions per second.
#   raw_pgbench_tps PORT CLIENTS SECONDS SCRATCH_DIR
raw_pgbench_tps() {
  local port=$1 clients=$2 seconds=$3 dir=$4
  PGOPTIONS='-c client_min_messages=warning' psql -q -h 127.0.0.1 -p "${port}" -U hookfence postgres -c \
    "DROP TABLE IF EXISTS raw_events;
     CREATE TABLE raw_events (key text PRIMARY KEY, fingerprint text NOT NULL, body text NOT NULL,
                              fence bigint NOT NULL, lease_until bigint NOT NULL);" >/dev/null
  cat >"${dir}/insert.sql" <<'SQL'
\set k random(1, 2000000000)
INSERT INTO raw_events (key, fingerprint, body, fence, lease_until)
VALUES ('k' || :k || '_' || :client_id, 'sha256:0', repeat('x', 1500), 1, 0)
ON CONFLICT (key) DO UPDATE SET fence = raw_events.fence + 1 WHERE raw_events.lease_until < 0
RETURNING fence;
SQL
  pgbench -n -h 127.0.0.1 -p "${port}" -U hookfence -c "${clients}" -j 2 -T "${seconds}" \
    -f "${dir}/insert.sql" postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1
}

# redis-benchmark: SET NX of a new 1.5 KB value (one fsynced AOF write with appendfsync always),
# `requests` of them from `clients` clients; prints the requests per second.
#   raw_redis_setnx_rate PORT CLIENTS REQUESTS
raw_redis_setnx_rate() {
  local port=$1 clients=$2 requests=$3 body
  body=$(head -c 1500 /dev/zero | tr '\0' 'x')
  # redis-benchmark names the test after the whole command (1.5 KB of x): keep only its figure.
  redis-benchmark -h 127.0.0.1 -p "${port}" -c "${clients}" -n "${requests}" \
    -r 1000000000 -q SET "raw:__rand_int__" "${body}" NX | tr '\r' '\n' |
    sed -n 's/.* NX: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1
}
