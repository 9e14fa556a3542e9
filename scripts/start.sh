#!/usr/bin/env bash
# `npm start`: Berth on examples/ with embedded defaults. With arguments, runs `berth ARGS...`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
if [[ $# -eq 0 ]]; then
  set -- validate examples
fi
exec node bin/berth.js "$@"
