#!/usr/bin/env bash
# The shared stores' cost over their servers' own raw rate (docs/benchmarks.md, section 3).
#
# Starts throw-away PostgreSQL, Redis and MariaDB servers on 127.0.0.1 (scripts/test-servers.sh),
# then measures on each, with 1 and 32 concurrent clients:
#   - hookfence: Begin and Accept of new keys, and of duplicates, through bench/store_benchmark
#     (the release build), with the batch sizes achieved;
#   - the server alone doing the equivalent work: pgbench running a single-row
#     INSERT … ON CONFLICT … RETURNING of a 1.5 KB row, redis-benchmark running SET NX of a
#     1.5 KB value, mysqlslap running INSERT … ON DUPLICATE KEY UPDATE of a 1.5 KB row.
# Usage: bench/shared_stores.sh [seconds per raw run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
./scripts/install-deps.sh

cmake --preset release >/dev/null
cmake --build --preset release --target store_benchmark

source scripts/test-servers.sh
servers_dir=$(mktemp -d /tmp/hookfence-bench-servers.XXXXXX)
trap 'stop_test_servers; rm -rf "${servers_dir}"' EXIT
start_test_servers "${servers_dir}"
pg_port=${HOOKFENCE_TEST_POSTGRES_URL##*:}
pg_port=${pg_port%%/*}
redis_port=${HOOKFENCE_TEST_REDIS_URL##*:}
redis_port=${redis_port%%/*}
mysql_port=${HOOKFENCE_TEST_MYSQL_URL##*:}
mysql_port=${mysql_port%%/*}

echo "=== hookfence over each shared store (bench/store_benchmark)"
HOOKFENCE_BENCH_POSTGRES_URL=${HOOKFENCE_TEST_POSTGRES_URL} \
  HOOKFENCE_BENCH_REDIS_URL=${HOOKFENCE_TEST_REDIS_URL} \
  HOOKFENCE_BENCH_MYSQL_URL=${HOOKFENCE_TEST_MYSQL_URL} \
  ./build/release/bench/store_benchmark \
  --benchmark_filter='/(postgres|redis|mysql)' --benchmark_counters_tabular=true

source bench/raw_limits.sh

echo "=== PostgreSQL alone: pgbench, INSERT … ON CONFLICT … RETURNING of a new 1.5 KB row"
for clients in 1 32; do
  echo "number of clients: ${clients}"
  echo "tps = $(raw_pgbench_tps "${pg_port}" "${clients}" "${seconds}" "${servers_dir}")"
done

echo "=== Redis alone: redis-benchmark, SET NX of a new 1.5 KB value"
for clients in 1 32; do
  echo "clients: ${clients}"
  echo "$(raw_redis_setnx_rate "${redis_port}" "${clients}" $((clients == 1 ? 5000 : 100000))) requests per second"
done

echo "=== MariaDB alone: mysqlslap, INSERT … ON DUPLICATE KEY UPDATE of a new 1.5 KB row"
mysql_cli=(mariadb --no-defaults -h 127.0.0.1 -P "${mysql_port}" -u hookfence -phookfence hookfence)
"${mysql_cli[@]}" -e \
  "DROP TABLE IF EXISTS raw_events;
   CREATE TABLE raw_events (k VARBINARY(255) PRIMARY KEY, body LONGBLOB NOT NULL,
                            fence BIGINT NOT NULL) ENGINE=InnoDB;"
for clients in 1 32; do
  queries=$((clients == 1 ? 3000 : 30000))
  mysqlslap --no-defaults -h 127.0.0.1 -P "${mysql_port}" -u hookfence -phookfence \
    --create-schema=hookfence --concurrency="${clients}" --iterations=1 \
    --number-of-queries="${queries}" \
    --query="INSERT INTO raw_events VALUES (UUID(), REPEAT('x', 1500), 1) ON DUPLICATE KEY UPDATE fence = fence + 1" 2>/dev/null |
    awk -v c="${clients}" -v q="${queries}" \
      '/Average number of seconds/ { printf "clients: %d  %.0f statements per second\n", c, q / $(NF-1) }'
done
