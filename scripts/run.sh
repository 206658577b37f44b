#!/usr/bin/env bash
# Installs dependencies, builds a release hookfence and runs the gateway on the embedded SQLite
# store with examples/hookfence.toml (listening on 127.0.0.1:8080, database ./hookfence.db).
# Stop it with Ctrl-C (SIGINT): it finishes requests in flight and flushes the store.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target hookfence_cli
if [ -z "${HOOKFENCE_ADMIN_TOKEN:-}" ]; then
  HOOKFENCE_ADMIN_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export HOOKFENCE_ADMIN_TOKEN
fi
cat <<TXT
hookfence: starting the gateway with examples/hookfence.toml
  send a signed test event:  ./build/release/hookfence send --config examples/hookfence.toml --source stripe
  admin API token:           ${HOOKFENCE_ADMIN_TOKEN}
  look at it:                curl -H "Authorization: Bearer \$HOOKFENCE_ADMIN_TOKEN" http://127.0.0.1:8080/v1/events
TXT
exec ./build/release/hookfence serve --config examples/hookfence.toml "$@"
