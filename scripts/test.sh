#!/usr/bin/env bash
# The full test suite (`npm test`): installs dependencies when needed, brings up the real services
# (scripts/test-env.sh up), then runs both vitest projects, unit and integration. Extra arguments
# go to vitest; the exit code is vitest's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-deps.sh
bash scripts/test-env.sh up
report=.cache/vitest-report.json
rm -f "$report"
rc=0
BERTH_TEST_ENV_SKIP_SETUP=1 npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || rc=$?
# One closing line in the plain form CI reads: "N passed, N failed, N skipped".
if [[ -f "$report" ]]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$report"
fi
exit "$rc"
