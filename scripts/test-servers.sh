#!/usr/bin/env bash
# Starts throw-away PostgreSQL, Redis and MariaDB servers for the shared-store tests, each on
# 127.0.0.1 with a free port and a data directory under the given directory, and stops them.
#
#   source scripts/test-servers.sh
#   start_test_servers /tmp/somewhere   # exports HOOKFENCE_TEST_{POSTGRES,REDIS,MYSQL}_URL
#   stop_test_servers                    # by PID; also safe to call twice
#
# Root may not run initdb/postgres or mariadbd as itself: they run as the postgres and mysql
# users, which own their data directories. Nothing is left listening once stop_test_servers ran.

test_servers_pids=()

# Runs a server in the background as `user` (see test_servers_as); its PID is recorded. exec
# replaces the background subshell, so the recorded PID is the server's own.
test_servers_daemon() {
  local user=$1 log=$2
  shift 2
  (
    if [ "$(id -u)" -eq 0 ]; then
      exec setpriv --reuid="${user}" --regid="${user}" --init-groups -- "$@" >"${log}" 2>&1
    fi
    exec "$@" >"${log}" 2>&1
  ) &
  test_servers_pids+=($!)
}

# A port nobody listens on now (a server that then fails to bind it is retried by the caller).
test_servers_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return
    fi
  done
}

# Runs a command as `user` when we are root (the servers refuse root), as ourselves otherwise.
test_servers_as() {
  local user=$1
  shift
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "${user}" -- "$@"
  else
    "$@"
  fi
}

# Polls `command` until it succeeds, for at most `seconds`; names the server when it gives up.
test_servers_wait() {
  local name=$1 seconds=$2 log=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ ${SECONDS} -ge ${deadline} ]; then
      echo "test-servers: ${name} did not become ready in ${seconds}s; its log:" >&2
      tail -n 30 "${log}" >&2
      return 1
    fi
    sleep 0.1
  done
}

test_servers_start_postgres() {
  local dir=$1/postgres bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  mkdir -p "${dir}"
  [ "$(id -u)" -eq 0 ] && chown postgres: "${dir}"
  test_servers_as postgres "${bin}/initdb" -D "${dir}/data" -U hookfence -A trust \
    --no-sync >"${dir}/initdb.log" 2>&1 || {
    cat "${dir}/initdb.log" >&2
    return 1
  }
  local port
  port=$(test_servers_free_port)
  test_servers_daemon postgres "${dir}/server.log" "${bin}/postgres" -D "${dir}/data" \
    -p "${port}" -c listen_addresses=127.0.0.1 -c unix_socket_directories="${dir}" \
    -c max_connections=300 -c shared_buffers=128MB
  test_servers_wait PostgreSQL 60 "${dir}/server.log" \
    "${bin}/pg_isready" -q -h 127.0.0.1 -p "${port}" -U hookfence
  export HOOKFENCE_TEST_POSTGRES_URL="postgres://hookfence@127.0.0.1:${port}/postgres"
}

test_servers_start_redis() {
  local dir=$1/redis port
  mkdir -p "${dir}"
  port=$(test_servers_free_port)
  # The durability hookfence requires of Redis: every write in the AOF, fsynced before the reply.
  test_servers_daemon "$(id -un)" "${dir}/server.log" redis-server --bind 127.0.0.1 \
    --port "${port}" --dir "${dir}" --appendonly yes --appendfsync always --save '' \
    --daemonize no
  test_servers_wait Redis 30 "${dir}/server.log" redis-cli -h 127.0.0.1 -p "${port}" ping
  export HOOKFENCE_TEST_REDIS_URL="redis://127.0.0.1:${port}/0"
}

test_servers_start_mysql() {
  local dir=$1/mysql port
  mkdir -p "${dir}"
  [ "$(id -u)" -eq 0 ] && chown mysql: "${dir}"
  test_servers_as mysql mariadb-install-db --no-defaults --datadir="${dir}/data" \
    --auth-root-authentication-method=normal --skip-test-db >"${dir}/install.log" 2>&1 || {
    cat "${dir}/install.log" >&2
    return 1
  }
  port=$(test_servers_free_port)
  test_servers_daemon mysql "${dir}/server.log" mariadbd --no-defaults --datadir="${dir}/data" \
    --port="${port}" --bind-address=127.0.0.1 --socket="${dir}/mysqld.sock" \
    --skip-name-resolve --max-connections=500 --innodb-buffer-pool-size=128M
  test_servers_wait MariaDB 60 "${dir}/server.log" \
    mariadb --no-defaults --socket="${dir}/mysqld.sock" -u root -e 'SELECT 1'
  mariadb --no-defaults --socket="${dir}/mysqld.sock" -u root -e \
    "CREATE USER 'hookfence'@'127.0.0.1' IDENTIFIED BY 'hookfence';
     GRANT ALL PRIVILEGES ON *.* TO 'hookfence'@'127.0.0.1';
     CREATE DATABASE hookfence;"
  export HOOKFENCE_TEST_MYSQL_URL="mysql://hookfence:hookfence@127.0.0.1:${port}/hookfence"
}

start_test_servers() {
  local dir=$1
  mkdir -p "${dir}"
  chmod 755 "${dir}"
  test_servers_start_postgres "${dir}"
  test_servers_start_redis "${dir}"
  test_servers_start_mysql "${dir}"
  # The shared-store tests fail, rather than skip, when a server is missing.
  export HOOKFENCE_REQUIRE_TEST_SERVERS=1
  echo "test-servers: ${HOOKFENCE_TEST_POSTGRES_URL} ${HOOKFENCE_TEST_REDIS_URL}" \
    "$(echo "${HOOKFENCE_TEST_MYSQL_URL}" | sed 's/:hookfence@/:***@/')"
}

stop_test_servers() {
  local pid
  for pid in "${test_servers_pids[@]}"; do
    kill -TERM "${pid}" 2>/dev/null || true
  done
  for pid in "${test_servers_pids[@]}"; do
    wait "${pid}" 2>/dev/null || true
  done
  test_servers_pids=()
}
