/**
 * The L3 cache tier: a state directory on disk (port registry, last status). Files in it are JSON,
 * written atomically so that a crash at any moment leaves either the old or the new content.
 */
import { mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { writeTextAtomic } from "../util/atomic-file.js";
import { dirname, isAbsolute, join } from "node:path";
import { BerthError } from "../util/errors.js";

/** The environment variables `defaultStateDir` looks at; pass `process.env` from the entry point. */
export interface StateDirEnv {
  readonly XDG_STATE_HOME?: string | undefined;
  readonly HOME?: string | undefined;
}

/**
 * The default state directory: `$XDG_STATE_HOME/berth`, or `~/.local/state/berth` when the variable
 * is unset, empty or relative (the XDG spec says relative values are to be ignored). Pure apart from
 * falling back to `os.homedir()` when `HOME` is unset; creates nothing.
 */
export function defaultStateDir(env: StateDirEnv): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "berth");
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  return join(home, ".local", "state", "berth");
}

/** A state file exists but cannot be read or does not hold valid JSON. `path` names the file. */
export class StateFileError extends BerthError {
  override readonly name = "StateFileError";
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`state file ${path}: ${message}`, options);
  }
}

/**
 * Reads and parses a JSON file. Returns `fallback` when the file does not exist; throws
 * `StateFileError` when it exists but cannot be read or parsed. The result is not validated: the
 * caller checks its shape. Not retried.
 */
export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return fallback;
    throw new StateFileError(path, `cannot be read (${errMessage(err)})`, { cause: err });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StateFileError(path, `is not valid JSON (${errMessage(err)})`, { cause: err });
  }
}

/**
 * Writes `data` as JSON to `path` atomically: the content goes to a uniquely named temporary file in
 * the same directory, which is fsynced and then renamed over `path`; the directory is fsynced too
 * (best effort). Readers see the old or the new file, never a partial one; a crash may leave a
 * `.<name>.<random>.tmp` file behind, which readers ignore. Creates the directory (mode 0700) when
 * missing. Concurrent calls for the same path are safe, the last rename wins; callers that need
 * ordering serialize their writes. Not retried.
 */
export async function writeJsonFileAtomic(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeTextAtomic(path, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
