#!/usr/bin/env bash
# Installs dependencies, then builds and runs every test: the debug build (library, CLI, tests,
# installed-package check), then the library and its tests under ASan+UBSan and under TSan.
# Usage: scripts/test.sh [preset...]   (default: debug asan tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

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
