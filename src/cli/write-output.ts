import type { WriteCallResult } from "./client.js";
import { CliError, type CliIo } from "./io.js";
import type { ProgressLine } from "./progress.js";
import type { WriteResult } from "../api/index.js";

/**
 * Prints one line per written project (`project default/web configured`, with ` (dry run)`),
 * then, for a call that waited, the converged status; throws CliError (exit 1) when the wait
 * failed, timed out or was cut off, with the last status message.
 */
export function reportWrite(
  response: WriteCallResult,
  verb: (r: WriteResult) => string,
  io: CliIo,
  progress: ProgressLine,
): number {
  progress.end();
  for (const r of response.results) io.out(`project ${r.key} ${verb(r)}${r.dryRun ? " (dry run)" : ""}\n`);
  const wait = response.wait;
  if (!wait) return 0;
  const what = response.results.map((r) => r.key).join(", ");
  switch (wait.outcome) {
    case "converged":
      io.out(`${response.results.length === 1 ? `project ${what}: ` : ""}${wait.message}\n`);
      return 0;
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
