#!/usr/bin/env bash
# Installs dependencies, starts the test database servers, then builds and runs every test: the
# debug build (library, CLI, tests, installed-package check), then the library and its tests under
# ASan+UBSan and under TSan.
# Usage: scripts/test.sh [preset...]   (default: debug asan tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

# The official Standard Webhooks package (tests/node/package-lock.json), which the delivery tests
# run against the gateway's signatures. Installed only when node_modules does not match the
# package files or predates the lock file; no network is needed once it is there.
node_dir=tests/node
if npm ls --prefix "${node_dir}" --all >/dev/null 2>&1 &&
  [ "${node_dir}/node_modules/.package-lock.json" -nt "${node_dir}/package-lock.json" ]; then
  echo "=== npm: ${node_dir}/node_modules is up to date"
else
  echo "=== npm ci --prefix ${node_dir}"
  if ! npm ci --prefix "${node_dir}" --no-audit --no-fund; then
    echo "test.sh: 'npm ci --prefix ${node_dir}' failed, so the npm package standardwebhooks is" \
      "missing and the delivery tests that verify signatures with it would fail. Is the npm" \
      "registry reachable? Install it with that command, then run test.sh again." >&2
    exit 1
  fi
fi

# Throw-away PostgreSQL, Redis and MariaDB servers on 127.0.0.1 for the shared-store tests (which
# fail rather than skip when these are missing), stopped however this script ends.
source scripts/test-servers.sh
servers_dir=$(mktemp -d /tmp/hookfence-test-servers.XXXXXX)
trap 'stop_test_servers; rm -rf "${servers_dir}"' EXIT
start_test_servers "${servers_dir}"

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(debug asan tsan)

for preset in "${presets[@]}"; do
  echo "=== ${preset}: build"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}"
  echo "=== ${preset}: test"
  ctest --preset "${preset}"
done
echo "=== all tests passed (${presets[*]})"
