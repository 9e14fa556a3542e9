import { existsSync, readFileSync } from "node:fs";
import { DotenvError, parseDotenv } from "./dotenv.js";
import { ComposeLoadError } from "./errors.js";
import type { Lookup } from "./interpolate.js";

/**
 * The variables a compose project interpolates with: the process environment first, then the
 * project's env files (by default `.env` in the project directory, when it exists). Synchronous.
 */
export function projectEnvironment(
  processEnv: Readonly<Record<string, string | undefined>>,
  envFiles: readonly { path: string; display: string; required: boolean }[],
): { lookup: Lookup; values: Map<string, string> } {
  const fromFiles = new Map<string, string>();
  const base: Lookup = (n) => processEnv[n] ?? fromFiles.get(n);
  for (const f of envFiles) {
    if (!existsSync(f.path)) {
      if (f.required)
        throw new ComposeLoadError(
          { file: f.display, line: 1, column: 1 },
          "",
          "the env file does not exist",
        );
      continue;
    }
    for (const [k, v] of readDotenv(f.path, f.display, base)) fromFiles.set(k, v);
  }
  const values = new Map(fromFiles);
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) values.set(k, v);
  return { lookup: base, values };
}

/** Reads a dotenv file; errors carry file:line. */
export function readDotenv(path: string, display: string, lookup: Lookup): Map<string, string> {
  try {
    return parseDotenv(readFileSync(path, "utf8"), lookup);
  } catch (cause) {
    if (cause instanceof DotenvError)
      throw new ComposeLoadError({ file: display, line: cause.line, column: 1 }, "", cause.message, {
        cause,
      });
    throw new ComposeLoadError(
      { file: display, line: 1, column: 1 },
      "",
      `cannot read it: ${String(cause)}`,
      { cause },
    );
  }
}
