/**
 * Writing a set of spec file edits as one unit, for the spec writer: each file is replaced
 * atomically (or removed), and when one write fails the files already written get their old
 * text back. Not locked: the caller holds the files' locks.
 */
import { type DirSync, removeFile, writeTextAtomic } from "../util/atomic-file.js";
import type { CommitLog } from "./commit-log.js";

/** One file to write: its text before (undefined: a new file) and after (undefined: remove it). */
export interface FileEdit {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

/**
 * Writes all edits in order, durably; if one fails, restores the files already written (best
 * effort) and rethrows. Every path is marked in `log` once its write has ended, failed or not.
 */
export async function commitEdits(
  edits: readonly FileEdit[],
  options: { dirSync: DirSync; log: CommitLog },
): Promise<void> {
  const { dirSync, log } = options;
  const done: FileEdit[] = [];
  try {
    for (const e of edits) {
      if (e.after === undefined) await removeFile(e.path, { dirSync });
      else await writeTextAtomic(e.path, e.after, { exclusive: e.before === undefined, dirSync });
      done.push(e);
    }
  } catch (err) {
    for (const e of done.reverse()) {
      const restore =
        e.before === undefined
          ? removeFile(e.path, { dirSync })
          : writeTextAtomic(e.path, e.before, { dirSync });
      await restore.catch(() => undefined);
    }
    throw err;
  } finally {
    for (const e of edits) log.mark(e.path);
  }
}
