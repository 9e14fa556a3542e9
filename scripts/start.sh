#!/usr/bin/env bash
# `npm start`: Berth on examples/ with embedded defaults, bringing up a Docker engine and the
# test image the examples use when none is there (scripts/test-env.sh docker).
# With arguments, runs `berth ARGS...` instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
if [[ $# -eq 0 ]]; then
  bash scripts/test-env.sh docker >/dev/null
  set -- run --dir examples
fi
exec node bin/berth.js "$@"
