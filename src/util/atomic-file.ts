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
 * (best effort). `mode` sets the file mode (default: the old file's, else 0644). With `exclusive`, the file must not exist yet: the temporary file is hard-linked
 * to `path`, which fails with EEXIST instead of replacing a file someone else created meanwhile.
 * Not retried; on failure the temporary file is removed and `path` is unchanged.
 */
export async function writeTextAtomic(
  path: string,
  text: string,
  options: { exclusive?: boolean; mode?: number } = {},
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
  await syncDir(dir);
}

/** Removes `path` and fsyncs its directory (best effort). A missing file is not an error. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  await syncDir(dirname(path));
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
