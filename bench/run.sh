#!/usr/bin/env bash
# The gateway end to end against its targets and the raw limits of this machine, in one run
# (docs/benchmarks.md §4).
#
#   bench/run.sh [--quick] [--seconds N] [--retained N] [--rows LIST] [--build-dir DIR]
#                [--no-build] [--server-threads N] [--curve] [--curve-step R] [--curve-max R]
#                [--soak MINUTES] [--soak-rate R] [--loop-lag DURATION]
#
# Builds the release preset, then, with the gateway (`hookfence serve`) pinned to core 0 and the
# load generator (and the delivery sink) pinned to core 1, measures each row of the targets table:
#   accept     durable accepts on embedded SQLite, unique events, 64 connections, closed loop
#   open       the same at a steady open-loop 10,000/s
#   dup        duplicates of 100,000 already-accepted events, 64 connections
#   delivery   accepted → delivered to a local sink; every accepted event must arrive
#   shared     PostgreSQL and Redis stores (throw-away servers from scripts/test-servers.sh,
#              when their binaries are present) against pgbench / redis-benchmark
#   retained   RSS and start-up time (exec → /readyz 200) with --retained events in SQLite
# then the raw limits, in the same run: fdatasync (bench/store_benchmark), bare SQLite batched
# inserts of the same rows (hookfence_raw_sqlite_insert), and raw HTTP (hookfence_bench_sink
# --raw: Beast's parser and a pre-built 200, no hookfence), and prints each figure beside its
# limit. --curve instead runs open-loop steps of --curve-step/s (default 10,000) up to
# --curve-max (default 100,000) and prints throughput, p50/p99/p999 and the share of 429s per step.
# --soak instead runs the resource-bounds soak: MINUTES of open-loop load at --soak-rate/s (default
# 3,000) with 30% duplicates, delivered to the sink, sampling the gateway's RSS and descriptors
# every 10 s; prints the samples and checks every accepted event reached the sink.
#
# --loop-lag sets the gateway's [server] max_loop_lag (default: the gateway's own default).
# --quick: 5 s per row (default 20 s) and 250,000 retained events (default 1,000,000).
# --rows picks rows (comma-separated names above); --no-build uses the binaries already in
# --build-dir (default build/release).
# Scratch files go under $TMPDIR (default /tmp), which should be on the disk under test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=20
warmup=2
retained=1000000
rows="accept,open,dup,delivery,shared,retained"
build_dir=build/release
server_threads=1
build=1
curve=0
soak_minutes=0
soak_rate=3000
curve_step=10000
curve_max=100000
loop_lag=""
server_core=0
load_core=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) seconds=5; warmup=1; retained=250000 ;;
    --seconds) seconds=$2; shift ;;
    --retained) retained=$2; shift ;;
    --rows) rows=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --no-build) build=0 ;;
    --server-threads) server_threads=$2; shift ;;
    --curve) curve=1 ;;
    --soak) soak_minutes=$2; shift ;;
    --soak-rate) soak_rate=$2; shift ;;
    --curve-step) curve_step=$2; shift ;;
    --curve-max) curve_max=$2; shift ;;
    --loop-lag) loop_lag=$2; shift ;;
    *) sed -n '2,31p' "$0" >&2; exit 2 ;;
  esac
  shift
done
has_row() { [[ ",${rows}," == *",$1,"* ]]; }

if [ "${build}" = 1 ]; then
  ./scripts/install-deps.sh  # compilers and libraries, curl and python3 (used below)
  if [ "${build_dir}" = build/release ]; then
    cmake --preset release >/dev/null
  fi
  cmake --build "${build_dir}" -j 2 --target hookfence_cli hookfence_loadgen hookfence_bench_sink \
    hookfence_raw_sqlite_insert hookfence_bench_prefill store_benchmark >/dev/null
fi
case ${build_dir} in
  /*) bin=${build_dir} ;;
  *) bin=${root}/${build_dir} ;;
esac
hookfence=${bin}/hookfence
loadgen=${bin}/bench/hookfence_loadgen
sink=${bin}/bench/hookfence_bench_sink

work=$(mktemp -d "${TMPDIR:-/tmp}/hookfence-run.XXXXXX")
results=${work}/results.jsonl
: >"${results}"
pids=()
servers_started=0
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "${pid}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "${pid}" 2>/dev/null || true; done
  if [ "${servers_started}" = 1 ]; then stop_test_servers; fi
  rm -rf "${work}"
}
trap cleanup EXIT

secret=bench-secret-0123456789
admin_token=bench-admin-token-0123456789

# Records one measurement: record NAME JSON-LINE.
record() { echo "{\"name\":\"$1\",\"data\":$2}" >>"${results}"; }
# One field of a JSON line.
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
now_ms() { date +%s%3N; }
forget_pid() {
  local kept=() pid
  for pid in "${pids[@]}"; do [ "${pid}" != "$1" ] && kept+=("${pid}"); done
  pids=("${kept[@]}")
}
stop_process() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

# Polls `command` until it succeeds or `seconds` pass.
wait_for() {
  local seconds=$1 deadline
  shift
  deadline=$(($(now_ms) + seconds * 1000))
  until "$@" >/dev/null 2>&1; do
    if [ "$(now_ms)" -ge "${deadline}" ]; then return 1; fi
    sleep 0.005
  done
}

# Starts the sink (pinned to the load core, or to the server core with --raw); sets sink_pid and
# sink_port.
start_sink() {
  local core=${load_core} out=${work}/sink.$RANDOM.out
  [ "${1:-}" = --raw ] && core=${server_core}
  taskset -c "${core}" "${sink}" "$@" >"${out}" 2>&1 &
  sink_pid=$!
  pids+=("${sink_pid}")
  wait_for 10 grep -q listening "${out}"
  sink_port=$(sed -n 's/{"listening":\([0-9]*\)}/\1/p' "${out}")
}

# Writes a gateway config: gateway_config FILE STORE_URL DESTINATION [SOURCE-KEYS].
gateway_config() {
  cat >"$1" <<EOF
[server]
listen = "127.0.0.1:0"
threads = ${server_threads}
log_level = "warn"  # no access-log line per request: at 50k/s it is its own benchmark
${loop_lag:+max_loop_lag = \"${loop_lag}\"}
admin_token = "${admin_token}"
[store]
url = "$2"
[[sources]]
name = "hooks"
provider = "hmac"
secrets = ["${secret}"]
destination = "$3"
${4:-}
EOF
  chmod 600 "$1"
}

# For the rows that measure ingest alone: the destination is a closed port, the breaker opens at
# the first failure and stays open, and the dispatcher holds one event, so new events are stored
# queued and nothing is delivered while the load runs.
ingest_only_keys() {
  printf 'breaker_failures = 1\nbreaker_cool_down = "1h"\nbreaker_max_cool_down = "1h"\n'
}
ingest_only_config() {
  gateway_config "$1" "$2" "http://127.0.0.1:9/" "$(ingest_only_keys)"
  sed -i 's/^\[store\]$/[delivery]\nmax_held = 1\n[store]/' "$1"
}

# A loopback port nothing listens on now.
free_port() {
  local port
  while :; do
    port=$(shuf -i 20000-60999 -n 1)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return
    fi
  done
}

readyz() { curl -sf -o /dev/null "http://127.0.0.1:${gateway_port}/readyz"; }

# Starts `hookfence serve` pinned to the server core and waits (deadline 60 s) until /readyz
# answers 200; sets gateway_pid, gateway_port and startup_ms (exec → first 200 on /readyz).
start_gateway() {
  local config=$1 log=${work}/gateway.$RANDOM.log start attempt
  for attempt in 1 2 3 4 5; do
    # A free port chosen here: at log_level "warn" the gateway does not print the one it bound.
    # Another program may take it before the gateway binds it: then the next attempt picks again.
    gateway_port=$(free_port)
    sed -i "s/^listen = .*/listen = \"127.0.0.1:${gateway_port}\"/" "${config}"
    start=$(now_ms)
    taskset -c "${server_core}" "${hookfence}" serve --config "${config}" >"${log}" 2>&1 &
    gateway_pid=$!
    pids+=("${gateway_pid}")
    gateway_log=${log}
    gateway_gone() { ! kill -0 "${gateway_pid}" 2>/dev/null; }
    ready_or_gone() { readyz || gateway_gone; }
    if wait_for 60 ready_or_gone && ! gateway_gone; then
      startup_ms=$(($(now_ms) - start))
      return
    fi
    wait "${gateway_pid}" 2>/dev/null || true
    forget_pid "${gateway_pid}"
    grep -q 'Address already in use' "${log}" || break
  done
  echo "run.sh: the gateway never answered /readyz 200; its log:" >&2
  cat "${log}" >&2
  exit 1
}

# Runs the load generator pinned to the load core; prints its JSON line (its human line goes to
# stderr, with the gateway's name).
load() {
  local label=$1 out
  shift
  out=$(taskset -c "${load_core}" "${loadgen}" --secret "${secret}" "$@" 2>"${work}/loadgen.err") || {
    cat "${work}/loadgen.err" >&2
    exit 1
  }
  echo "  ${label}: $(echo "${out}" | head -n 1)" >&2
  echo "${out}" | tail -n 1
}

rss_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }

echo "hookfence end-to-end benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), ${seconds} s per row," \
  "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include || echo '+changes')," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gateway on core ${server_core} (threads = ${server_threads}), load on core ${load_core};" \
  "scratch ${work}"

# ---- The latency curve (--curve): open-loop steps past saturation. ----
if [ "${curve}" = 1 ]; then
  ingest_only_config "${work}/curve.toml" "sqlite://${work}/curve.db"
  # Back-pressure needs more requests in flight than the write queue holds: 2,048 connections
  # against a queue of 512, so past saturation the queue fills and the rest is answered 429.
  sed -i 's/^\[store\]$/[store]\nmax_pending_writes = 512/' "${work}/curve.toml"
  start_gateway "${work}/curve.toml"
  printf '%10s %12s %10s %10s %10s %8s %8s\n' rate/s answers/s p50_ms p99_ms p999_ms '429 %' unsent
  saturated=0
  for ((rate = curve_step; rate <= curve_max; rate += curve_step)); do
    line=$(load "step ${rate}/s" --port "${gateway_port}" --connections 2048 --rate "${rate}" \
      --duration "${seconds}" \
      --warmup "${warmup}" --timeout 5 --id-prefix "curve${rate}" 2>/dev/null)
    python3 - "${line}" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
answered = d["accepted"] + d["queued"] + d["duplicate"] + d["overloaded"] + d["other"]
share = 100.0 * d["overloaded"] / answered if answered else 0.0
print(f'{d["rate"]:10.0f} {d["throughput"]:12.0f} {d["p50_ms"]:10.2f} {d["p99_ms"]:10.2f} '
      f'{d["p999_ms"]:10.2f} {share:8.1f} {d["unsent"]:8d}')
PY
    if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["throughput"] < 0.9 * d["rate"] else 1)' "${line}"; then
      saturated=$((saturated + 1))
      # Two steps past saturation show the overload behaviour; more only take time.
      [ "${saturated}" -ge 2 ] && break
    fi
  done
  exit 0
fi

# ---- The soak (--soak): memory and descriptors under sustained load with duplicates. ----
if [ "${soak_minutes}" -gt 0 ]; then
  echo "== soak: ${soak_minutes} min at ${soak_rate}/s, 30% duplicates, delivered to the sink"
  start_sink
  gateway_config "${work}/soak.toml" "sqlite://${work}/soak.db" "http://127.0.0.1:${sink_port}/"
  start_gateway "${work}/soak.toml"
  duration=$((soak_minutes * 60))
  taskset -c "${load_core}" "${loadgen}" --secret "${secret}" --port "${gateway_port}" \
    --connections 64 --rate "${soak_rate}" --duplicates 0.3 --duration "${duration}" \
    --warmup 0 --timeout 5 --id-prefix soak >"${work}/soak.json" 2>"${work}/soak.err" &
  soak_load=$!
  load_done() { ! kill -0 "${soak_load}" 2>/dev/null; }
  printf '%8s %10s %8s\n' minute rss_mb fds
  started=$(now_ms)
  samples=${work}/soak.samples
  : >"${samples}"
  while kill -0 "${soak_load}" 2>/dev/null; do
    wait_for 10 load_done || true  # one sample every 10 s, or at the end
    rss=$(rss_kb "${gateway_pid}" VmRSS)
    fds=$(ls "/proc/${gateway_pid}/fd" | wc -l)
    minute=$(python3 -c "print(f'{($(now_ms) - ${started}) / 60000:.1f}')")
    echo "${minute} ${rss} ${fds}" >>"${samples}"
    printf '%8s %10s %8s\n' "${minute}" "$((rss / 1024))" "${fds}"
  done
  wait "${soak_load}" || { cat "${work}/soak.err" >&2; exit 1; }
  line=$(tail -n 1 "${work}/soak.json")
  echo "  load: $(head -n 1 "${work}/soak.err")" >&2
  accepted=$(field "${line}" new_events)
  count() { curl -sf "http://127.0.0.1:${sink_port}/count"; }
  delivered_all() { [ "$(field "$(count)" distinct)" -ge "${accepted}" ]; }
  drained=yes
  wait_for 300 delivered_all || drained=NO
  python3 - "${samples}" "${accepted}" "$(field "$(count)" distinct)" "${drained}" <<'PY'
import sys
rows = [tuple(float(x) for x in l.split()) for l in open(sys.argv[1]) if l.strip()]
rss = [r[1] / 1024 for r in rows]
fds = [int(r[2]) for r in rows]
first = [r[1] / 1024 for r in rows if r[0] <= 1.0] or rss[:1]
print(f"soak: RSS {min(rss):.0f}-{max(rss):.0f} MB (first minute max {max(first):.0f} MB, "
      f"last {rss[-1]:.0f} MB), descriptors {min(fds)}-{max(fds)}; accepted {sys.argv[2]}, "
      f"delivered {sys.argv[3]}, all delivered: {sys.argv[4]}")
PY
  exit 0
fi

# ---- Rows on a fresh SQLite gateway that only ingests. ----
if has_row accept || has_row open || has_row dup; then
  echo "== ingest rows (SQLite, delivery held back)"
  ingest_only_config "${work}/ingest.toml" "sqlite://${work}/ingest.db"
  start_gateway "${work}/ingest.toml"
  if has_row accept || has_row dup; then
    line=$(load "accept, 64 connections" --port "${gateway_port}" --connections 64 \
      --duration "${seconds}" --warmup "${warmup}" --id-prefix accept)
    record accept "${line}"
    accepted_ids=$(field "${line}" new_events)
  fi
  if has_row open; then
    line=$(load "accept, open loop 10,000/s" --port "${gateway_port}" --connections 64 \
      --rate 10000 --duration "${seconds}" --warmup "${warmup}" --id-prefix open)
    record open "${line}"
  fi
  if has_row dup; then
    known=$((accepted_ids < 100000 ? accepted_ids : 100000))
    line=$(load "duplicates of ${known} accepted events" --port "${gateway_port}" \
      --connections 64 --duration "${seconds}" --warmup "${warmup}" --id-prefix accept \
      --known "${known}" --events 1 --duplicates 1)
    record dup "${line}"
  fi
  stop_process "${gateway_pid}"
fi

# ---- Accepted → delivered to a local sink (on the load core). ----
if has_row delivery; then
  echo "== delivery row (SQLite, sink on core ${load_core})"
  start_sink
  gateway_config "${work}/delivery.toml" "sqlite://${work}/delivery.db" \
    "http://127.0.0.1:${sink_port}/"
  start_gateway "${work}/delivery.toml"
  line=$(load "accept with delivery, 64 connections" --port "${gateway_port}" --connections 64 \
    --duration "${seconds}" --warmup 0 --id-prefix delivery)
  load_end_ms=$(now_ms)
  accepted=$(field "${line}" total_ok)
  count() { curl -sf "http://127.0.0.1:${sink_port}/count"; }
  delivered_all() { [ "$(field "$(count)" distinct)" -ge "${accepted}" ]; }
  drained=1
  wait_for 300 delivered_all || drained=0
  counts=$(count)
  record delivery "{\"accepted\":${accepted},\"drained\":${drained},\"load_end_ms\":${load_end_ms},\"sink\":${counts},\"load\":${line}}"
  echo "  sink: ${counts} (accepted ${accepted})" >&2
  stop_process "${gateway_pid}"
  stop_process "${sink_pid}"
fi

# ---- Shared stores, when their servers can be started here. ----
if has_row shared; then
  if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && command -v redis-server >/dev/null &&
    command -v pgbench >/dev/null && command -v redis-benchmark >/dev/null; then
    echo "== shared stores (throw-away PostgreSQL and Redis on 127.0.0.1)"
    source scripts/test-servers.sh
    source bench/raw_limits.sh
    servers_started=1
    # The servers run as their own users, who must reach their data directories.
    mkdir -p "${work}/servers"
    chmod 755 "${work}" "${work}/servers"
    test_servers_start_postgres "${work}/servers"
    test_servers_start_redis "${work}/servers"
    pg_port=${HOOKFENCE_TEST_POSTGRES_URL##*:}
    pg_port=${pg_port%%/*}
    redis_port=${HOOKFENCE_TEST_REDIS_URL##*:}
    redis_port=${redis_port%%/*}
    for backend in postgres redis; do
      url=HOOKFENCE_TEST_${backend^^}_URL
      ingest_only_config "${work}/${backend}.toml" "${!url}"
      start_gateway "${work}/${backend}.toml"
      line=$(load "${backend} store, 64 connections" --port "${gateway_port}" --connections 64 \
        --duration "${seconds}" --warmup "${warmup}" --id-prefix "${backend}")
      record "${backend}" "${line}"
      stop_process "${gateway_pid}"
    done
    raw=$(taskset -c "${load_core}" bash -c "source bench/raw_limits.sh; raw_pgbench_tps ${pg_port} 64 ${seconds} ${work}")
    record raw_pgbench "{\"tps\":${raw:-0}}"
    echo "  pgbench, 64 clients: ${raw} tps" >&2
    raw=$(taskset -c "${load_core}" bash -c "source bench/raw_limits.sh; raw_redis_setnx_rate ${redis_port} 64 $((seconds * 10000))")
    record raw_redis "{\"rate\":${raw:-0}}"
    echo "  redis-benchmark SET NX, 64 clients: ${raw}/s" >&2
    stop_test_servers
    servers_started=0
  else
    echo "== shared stores: skipped (PostgreSQL, Redis, pgbench or redis-benchmark missing)"
  fi
fi

# ---- Memory and start-up with many retained events. ----
if has_row retained; then
  echo "== ${retained} retained events (SQLite)"
  db=${work}/retained.db
  prefill=$("${bin}/bench/hookfence_bench_prefill" --store "sqlite://${db}" --events "${retained}")
  echo "  prefill: ${prefill} ($(du -m "${db}" | cut -f1) MB on disk)" >&2
  ingest_only_config "${work}/retained.toml" "sqlite://${db}"
  startups=()
  for attempt in 1 2 3; do
    start_gateway "${work}/retained.toml"
    startups+=("${startup_ms}")
    if [ "${attempt}" -lt 3 ]; then stop_process "${gateway_pid}"; fi
  done
  rss_ready=$(rss_kb "${gateway_pid}" VmRSS)
  line=$(load "load on the retained store, 64 connections" --port "${gateway_port}" \
    --connections 64 --duration "${seconds}" --warmup 0 --id-prefix retained_load)
  rss_after=$(rss_kb "${gateway_pid}" VmRSS)
  hwm=$(rss_kb "${gateway_pid}" VmHWM)
  stop_process "${gateway_pid}"
  record retained "{\"events\":${retained},\"startup_ms\":[$(IFS=,; echo "${startups[*]}")],\"rss_ready_kb\":${rss_ready},\"rss_after_load_kb\":${rss_after},\"hwm_kb\":${hwm},\"load\":${line}}"
  echo "  start-up (exec → /readyz 200): ${startups[*]} ms; RSS ready ${rss_ready} kB," \
    "after load ${rss_after} kB, peak ${hwm} kB" >&2
fi

# ---- The raw limits, in the same run. ----
echo "== raw limits"
fsync=$(TMPDIR=${work} taskset -c "${server_core}" "${bin}/bench/store_benchmark" \
  --benchmark_filter='RawFdatasync4KiB/.*threads:1$' --benchmark_format=json 2>/dev/null |
  python3 -c 'import json,sys; print(json.dumps({b["name"].split("/")[1]: b["items_per_second"] for b in json.load(sys.stdin)["benchmarks"]}))')
record fdatasync "${fsync}"
echo "  fdatasync (4 KiB, 1 file): ${fsync}" >&2
sqlite_seconds=$((seconds < 10 ? seconds : 10))
sqlite_lines=$(TMPDIR=${work} taskset -c "${server_core}" "${bin}/bench/hookfence_raw_sqlite_insert" \
  --seconds "${sqlite_seconds}")
while read -r l; do record sqlite "${l}"; done <<<"${sqlite_lines}"
echo "  bare SQLite inserts: $(echo ${sqlite_lines})" >&2
start_sink --raw
line=$(load "raw HTTP, 64 connections" --port "${sink_port}" --connections 64 \
  --duration "${seconds}" --warmup "${warmup}")
record raw_http "${line}"
line=$(load "raw HTTP, open loop 10,000/s" --port "${sink_port}" --connections 64 --rate 10000 \
  --duration "${seconds}" --warmup "${warmup}")
record raw_http_open "${line}"
stop_process "${sink_pid}"

# ---- The table. ----
echo
python3 - "${results}" <<'PY'
import json, sys

results = {}
for line in open(sys.argv[1]):
    entry = json.loads(line)
    results.setdefault(entry["name"], []).append(entry["data"])
one = lambda name: results[name][0] if name in results else None

def rate(x):
    return f"{x:,.0f}/s"

http = one("raw_http")
http_open = one("raw_http_open")
sqlite = {d["batch"]: d["rows_per_s"] for d in results.get("sqlite", [])}
rows = []

def limit_of(*candidates):
    present = [(label, value) for label, value in candidates if value]
    return min(present, key=lambda c: c[1]) if present else None

def add(row, figure, limit, ratio, target, met):
    rows.append((row, figure, limit, ratio, target, "yes" if met else "NO"))

ingest_limit = limit_of(("raw HTTP", http and http["throughput"]),
                        ("SQLite batch 64", sqlite.get(64)))
if (d := one("accept")):
    ratio = f"{d['throughput'] / ingest_limit[1]:.2f}" if ingest_limit else "-"
    add("accepts, unique, SQLite, 64 conns", f"{rate(d['throughput'])}, p99 {d['p99_ms']:.2f} ms",
        f"{ingest_limit[0]} {rate(ingest_limit[1])}" if ingest_limit else "-", ratio,
        "≥ 50,000/s, p99 ≤ 5 ms", d["throughput"] >= 50000 and d["p99_ms"] <= 5 and d["errors"] == 0)
if (d := one("open")):
    raw_p99 = http_open["p99_ms"] if http_open else None
    add("accepts at open-loop 10,000/s", f"p99 {d['p99_ms']:.2f} ms ({rate(d['throughput'])})",
        f"raw HTTP p99 {raw_p99:.2f} ms" if raw_p99 else "-",
        f"{d['p99_ms'] / raw_p99:.1f}× latency" if raw_p99 else "-", "p99 ≤ 2 ms",
        d["p99_ms"] <= 2 and d["unsent"] == 0 and d["errors"] == 0)
if (d := one("dup")):
    limit = http["throughput"] if http else None
    add("duplicates (already accepted), 64 conns", f"{rate(d['throughput'])}, p99 {d['p99_ms']:.2f} ms",
        f"raw HTTP {rate(limit)}" if limit else "-", f"{d['throughput'] / limit:.2f}" if limit else "-",
        "≥ 80,000/s", d["throughput"] >= 80000 and d["errors"] == 0)
if (d := one("delivery")):
    sink = d["sink"]
    span = max(1, sink["last_ms"] - sink["first_ms"]) / 1000
    e2e = sink["distinct"] / span
    lost = max(0, d["accepted"] - sink["distinct"])
    lag = max(0, sink["last_ms"] - d["load_end_ms"]) / 1000
    limit = sqlite.get(64)
    add("accepted → delivered to a local sink",
        f"{rate(e2e)} e2e ({d['accepted']:,} accepted, {lost} lost, drained {lag:.1f} s after load)",
        f"SQLite batch 64 {rate(limit)}" if limit else "-", f"{e2e / limit:.2f}" if limit else "-",
        "≥ 30,000/s, nothing lost", e2e >= 30000 and lost == 0 and d["drained"] == 1)
for backend, raw_name, key, label in (("postgres", "raw_pgbench", "tps", "pgbench"),
                                      ("redis", "raw_redis", "rate", "redis-benchmark SET NX")):
    if (d := one(backend)):
        raw = one(raw_name)[key] if one(raw_name) else 0
        ratio = d["throughput"] / raw if raw else 0
        add(f"{backend} store, 64 conns", f"{rate(d['throughput'])}, p99 {d['p99_ms']:.2f} ms",
            f"{label}, 64 clients {rate(raw)}", f"{ratio:.2f}", "≥ 0.70 of raw", ratio >= 0.7)
if (d := one("retained")):
    mb = d["rss_after_load_kb"] / 1024
    add(f"RSS with {d['events']:,} retained events",
        f"{mb:.0f} MB after load (ready {d['rss_ready_kb'] / 1024:.0f} MB, peak {d['hwm_kb'] / 1024:.0f} MB)",
        "-", "-", "≤ 150 MB", d["hwm_kb"] / 1024 <= 150)
    startup = sorted(d["startup_ms"])[len(d["startup_ms"]) // 2]
    add(f"start-up with {d['events']:,} retained events",
        f"{startup / 1000:.3f} s (median of {', '.join(str(s) for s in d['startup_ms'])} ms)",
        "-", "-", "≤ 1 s", startup <= 1000)

headers = ("row", "hookfence", "raw limit", "ratio", "target", "met?")
print("| " + " | ".join(headers) + " |")
print("|" + "---|" * len(headers))
for row in rows:
    print("| " + " | ".join(row) + " |")
print()
print("Raw limits measured in this run:")
if (f := one("fdatasync")):
    print(f"- fdatasync, 4 KiB, one file: append {rate(f.get('append', 0))}, overwrite {rate(f.get('overwrite', 0))}")
if sqlite:
    print("- bare SQLite (WAL, synchronous=FULL), 1.6 KB rows: " +
          ", ".join(f"batch {b}: {rate(v)}" for b, v in sorted(sqlite.items())))
if http:
    print(f"- raw HTTP (Beast parser, pre-built 200), 64 connections: {rate(http['throughput'])}, "
          f"p99 {http['p99_ms']:.2f} ms")
if http_open:
    print(f"- raw HTTP at open-loop 10,000/s: p50 {http_open['p50_ms']:.2f} ms, p99 {http_open['p99_ms']:.2f} ms, "
          f"p999 {http_open['p999_ms']:.2f} ms")
PY
