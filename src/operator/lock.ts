import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BerthError } from "../util/errors.js";

/** What a running operator writes into its lock, so that a second one can name it. */
export interface LockHolder {
  pid: number;
  dir: string;
  http: string;
  startedAt: string;
  /** The holder's state directory, where its API token is (readable by its owner only). */
  stateDir?: string;
}

/** Another `berth run` already reconciles the directory. */
export class AlreadyRunningError extends BerthError {
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

/** The lock directory is not this user's own; the message names it and the fix. */
export class LockDirError extends BerthError {
  override readonly name = "LockDirError";
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`lock directory ${path} ${why}; remove it (another user may have made it) and start again`);
  }
}

/**
 * Throws LockDirError unless `lockDir` is a real directory owned by this user that no one else
 * may write (another local user could otherwise plant locks that misdirect this user's clients).
 */
function checkLockDir(lockDir: string): void {
  const info = lstatSync(lockDir);
  if (!info.isDirectory()) throw new LockDirError(lockDir, "is not a directory");
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) throw new LockDirError(lockDir, `belongs to uid ${info.uid}`);
  if ((info.mode & 0o022) !== 0) throw new LockDirError(lockDir, "is writable by other users");
}

/**
 * The live holder of directory `dir`'s lock in `lockDir`, or undefined when none (no lock, an
 * unreadable one, or one whose process is gone). Never throws; a snapshot that may be stale.
 */
export function readDirLock(lockDir: string, dir: string): LockHolder | undefined {
  try {
    checkLockDir(lockDir);
    const holder = JSON.parse(readFileSync(lockFile(lockDir, dir), "utf8")) as LockHolder;
    return holder.pid !== process.pid && alive(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every live holder of a lock in `lockDir` (this user's running operators). Never throws; an
 * unreadable directory or lock is skipped.
 */
export function listLocks(lockDir: string): LockHolder[] {
  let names: string[];
  try {
    checkLockDir(lockDir);
    names = readdirSync(lockDir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: LockHolder[] = [];
  for (const name of names) {
    try {
      const holder = JSON.parse(readFileSync(join(lockDir, name), "utf8")) as LockHolder;
      if (typeof holder.pid === "number" && typeof holder.http === "string" && alive(holder.pid))
        out.push(holder);
    } catch {
      // a lock being written or removed
    }
  }
  return out;
}

/**
 * Records a running operator that takes no directory lock (kube mode: its Lease guards it) in
 * `lockDir`, so that this user's CLI finds its address and state directory like a lock holder's.
 * Not exclusive; one file per process. Returns the function that removes it.
 */
export function registerOperator(lockDir: string, holder: LockHolder): () => void {
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  checkLockDir(lockDir);
  const path = join(lockDir, `process-${holder.pid}.json`);
  writeFileSync(path, JSON.stringify(holder), { mode: 0o600 });
  return () => rmSync(path, { force: true });
}

/**
 * Takes the lock of a watched directory in `lockDir` (one per host, whatever the state
 * directory); a lock whose process is gone is taken over. Throws AlreadyRunningError naming the
 * holder. Returns the release function.
 */
export function acquireDirLock(lockDir: string, holder: LockHolder): () => void {
  const locks = lockDir;
  mkdirSync(locks, { recursive: true, mode: 0o700 });
  checkLockDir(locks);
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
