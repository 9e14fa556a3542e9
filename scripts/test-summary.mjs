// The closing line of `npm test` (scripts/test.sh), from vitest's JSON report:
//   tests: N passed, N failed, N skipped; files: N passed, N failed
// A test file that failed without a failed test (its beforeAll threw, it did not load) counts
// as a failed file. Usage: node scripts/test-summary.mjs REPORT.json
import { readFileSync } from "node:fs";

/** The summary line of a vitest JSON report object. Pure. */
export function summaryLine(r) {
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const files = r.testResults ?? [];
  const failedFiles = files.filter((f) => f.status === "failed").length;
  const passedFiles = files.length - failedFiles;
  return (
    `tests: ${r.numPassedTests ?? 0} passed, ${r.numFailedTests ?? 0} failed, ${skipped} skipped; ` +
    `files: ${passedFiles} passed, ${failedFiles} failed`
  );
}

if (process.argv[2]) console.log(summaryLine(JSON.parse(readFileSync(process.argv[2], "utf8"))));
