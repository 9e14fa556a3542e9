import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What a running operator writes into its lock, so that a second one can name it. */
export interface LockHolder {
  pid: number;
  dir: string;
  http: string;
  startedAt: string;
}

/** Another `berth run` already reconciles the directory. */
export class AlreadyRunningError extends Error {
  override readonly name = "AlreadyRunningError";
  constructor(readonly holder: LockHolder) {
    super(
      `another berth run (pid ${holder.pid}, started ${holder.startedAt}, serving http://${holder.http}) already reconciles ${holder.dir}; ` +
        `use that one (berth get --server http://${holder.http}) or stop it first`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockFile(lockDir: string, dir: string): string {
  return join(lockDir, `${createHash("sha256").update(dir).digest("hex").slice(0, 16)}.json`);
}

/**
 * The live holder of directory `dir`'s lock in `lockDir`, or undefined when none (no lock, an
 * unreadable one, or one whose process is gone). Never throws; a snapshot that may be stale.
 */
export function readDirLock(lockDir: string, dir: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(lockFile(lockDir, dir), "utf8")) as LockHolder;
    return holder.pid !== process.pid && alive(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of a watched directory in `lockDir` (one per host, whatever the state
 * directory); a lock whose process is gone is taken over. Throws AlreadyRunningError naming the
 * holder. Returns the release function.
 */
export function acquireDirLock(lockDir: string, holder: LockHolder): () => void {
  const locks = lockDir;
  mkdirSync(locks, { recursive: true, mode: 0o700 });
  const path = lockFile(locks, holder.dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(holder), { flag: "wx", mode: 0o600 });
      return () => {
        try {
          const current = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
          if (current.pid === holder.pid) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let current: LockHolder | undefined;
      try {
        current = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
      } catch {
        current = undefined;
      }
      if (current && current.pid !== process.pid && alive(current.pid))
        throw new AlreadyRunningError(current);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
