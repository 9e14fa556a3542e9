#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json
# (npm keeps node_modules/.package-lock.json in step with what it installed), then builds the
# dashboard when web/dist is missing or older than its sources.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "berth: installing npm dependencies (npm ci) ..." >&2
  npm ci --no-audit --no-fund >&2
fi
bash scripts/build-web.sh --if-stale
