#!/usr/bin/env bash
# The full test suite (`npm test`): installs dependencies when needed, brings up the real services
# (scripts/test-env.sh up), then runs both vitest projects, unit and integration. Extra arguments
# go to vitest; the exit code is vitest's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-deps.sh
# The Kubernetes control plane takes minutes to build on a cold cache (scripts/kube-build.sh):
# start it now, so that the build overlaps the other test files. The kube tests' kubeEnv() runs
# `kube-env.sh up` too, which waits for this one and then finds it running.
kube_pid=""
if [[ $# -eq 0 || "$*" == *kube* ]]; then
  mkdir -p .cache
  bash scripts/kube-env.sh up >.cache/kube-env-up.log 2>&1 &
  kube_pid=$!
fi
bash scripts/test-env.sh up
# promtool for the alert rules' unit tests, prometheus for their integration test
bash scripts/prometheus.sh
report=.cache/vitest-report.json
rm -f "$report"
rc=0
BERTH_TEST_ENV_SKIP_SETUP=1 npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || rc=$?
# One closing line in the plain form CI reads: "tests: N passed, N failed, N skipped; files: N
# passed, N failed". A file whose beforeAll failed (or that failed to load) runs no test, so it
# shows only in the file count.
if [[ -f "$report" ]]; then
  node scripts/test-summary.mjs "$report"
fi
if [[ -n "$kube_pid" ]] && ! wait "$kube_pid"; then
  echo "kube-env: the control plane did not come up; see .cache/kube-env-up.log" >&2
fi
exit "$rc"
