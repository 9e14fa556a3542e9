import type { WriteCallResult } from "./client.js";
import { CliError, type CliIo } from "./io.js";
import type { ProgressLine } from "./progress.js";
import type { WriteResult } from "../api/index.js";

/**
 * Prints one line per written project (`project default/web configured`, with ` (dry run)`),
 * one line on stderr per project that failed (a non-atomic apply reports them with the others;
 * the exit code is then 1), then, for a call that waited, the converged status; throws CliError
 * (exit 1) when the wait failed, timed out or was cut off, with the last status message.
 */
export function reportWrite(
  response: WriteCallResult,
  verb: (r: WriteResult) => string,
  io: CliIo,
  progress: ProgressLine,
): number {
  progress.end();
  for (const r of response.results) io.out(`project ${r.key} ${verb(r)}${r.dryRun ? " (dry run)" : ""}\n`);
  const failures = response.failures ?? [];
  for (const f of failures)
    io.err(`project ${f.project ?? "(unnamed document)"} failed: ${f.error.message}\n`);
  const code = failures.length > 0 ? 1 : 0;
  const wait = response.wait;
  if (!wait || response.results.length === 0) return code;
  const what = response.results.map((r) => r.key).join(", ");
  switch (wait.outcome) {
    case "converged":
      io.out(`${response.results.length === 1 ? `project ${what}: ` : ""}${wait.message}\n`);
      return code;
    case "failed":
      throw new CliError(`${what} did not converge: ${wait.message}`);
    case "timeout":
      throw new CliError(
        `gave up waiting for ${what}: ${wait.message}; check with: berth describe ${response.results[0]?.key ?? ""}`,
      );
    case "aborted":
      throw new CliError(
        `the wait for ${what} was cut off (${wait.message || "the daemon stopped"}); check with: berth get`,
      );
  }
}
