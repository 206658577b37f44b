#!/usr/bin/env bash
# Installs every Debian (bookworm) package hookfence's build, tests and benchmarks need, the
# database servers the shared-store tests start on loopback included (never as system services).
# Idempotent: packages already present are skipped, and apt is not touched when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git curl python3
  clang-14 clang-format libclang-rt-14-dev
  libssl-dev libsqlite3-dev sqlite3
  libboost1.81-dev libboost-json1.81-dev
  libcli11-dev libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev libtomlplusplus-dev
  libpq-dev libhiredis-dev libmariadb-dev
  postgresql redis-server mariadb-server mariadb-client
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm run the official Standard Webhooks package against the gateway's outgoing
# signatures (tests/node). Checked by command rather than by package name: a Node.js from another
# apt source (whose nodejs package bundles npm and conflicts with Debian's npm) serves as well.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
