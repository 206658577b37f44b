#!/usr/bin/env bash
# Installs dependencies, builds a release hookfence and runs the library demo on the embedded
# SQLite store (./hookfence-demo.db).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target hookfence_cli
./build/release/hookfence demo --store "sqlite://hookfence-demo.db" "$@"
