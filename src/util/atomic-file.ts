/**
 * Atomic writes of text files (spec files, state files): readers see the old or the new content,
 * never a partial file. Temporary files are named `.<name>.<random>.tmp` in the same directory,
 * which the file source ignores (hidden, and not *.yaml).
 */
import { randomBytes } from "node:crypto";
import { link, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes `text` to `path` atomically: a temporary file in the same directory is written and
 * fsynced, then renamed over `path` (keeping the old file's mode), then the directory is fsynced
 * (best effort; through `dirSync` when given, which shares one fsync among concurrent writes).
 * `mode` sets the file mode (default: the old file's, else 0644). With `exclusive`, the file must
 * not exist yet: the temporary file is hard-linked to `path`, which fails with EEXIST instead of
 * replacing a file someone else created meanwhile. Resolves once the new content and the rename
 * are durable. Not retried; on failure the temporary file is removed and `path` is unchanged.
 */
export async function writeTextAtomic(
  path: string,
  text: string,
  options: { exclusive?: boolean; mode?: number; dirSync?: DirSync } = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const mode =
    options.mode ??
    (options.exclusive
      ? 0o644
      : await stat(path).then(
          (s) => s.mode & 0o777,
          () => 0o644,
        ));
  try {
    const handle = await open(tmp, "wx", mode);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await (options.dirSync ? options.dirSync.sync(dir) : syncDir(dir));
}

/** Removes `path` and fsyncs its directory (best effort). A missing file is not an error. */
export async function removeFile(path: string, options: { dirSync?: DirSync } = {}): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  const dir = dirname(path);
  await (options.dirSync ? options.dirSync.sync(dir) : syncDir(dir));
}

/**
 * Group commit of directory fsyncs. `sync(dir)` resolves after an fsync of `dir` that started
 * after the call, so every rename or unlink that completed before the call is durable then (the
 * same guarantee as an fsync of one's own). Callers that arrive while an fsync of `dir` runs
 * share the next one instead of queueing one each. Never rejects (best effort, like syncDir).
 */
export class DirSync {
  private readonly dirs = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  /** `fsyncDir` must not reject; the default is the best-effort directory fsync. */
  constructor(private readonly fsyncDir: (dir: string) => Promise<void> = syncDir) {}

  sync(dir: string): Promise<void> {
    const state = this.dirs.get(dir);
    if (!state) return this.launch(dir);
    state.next ??= state.running.then(() => this.launch(dir));
    return state.next;
  }

  private launch(dir: string): Promise<void> {
    const running: Promise<void> = this.fsyncDir(dir).finally(() => {
      if (this.dirs.get(dir)?.running === running) this.dirs.delete(dir);
    });
    this.dirs.set(dir, { running });
    return running;
  }
}

/** fsync a directory so that a rename in it is durable; some file systems refuse, which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Directory fsync is not supported everywhere.
  }
}
