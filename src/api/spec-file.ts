import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { lstat, open, realpath, stat, type FileHandle } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { MAX_SPEC_BYTES } from "./parse.js";

/** Why a spec file was not read; `code` is the SpecErrorCode the file is reported with. */
export interface SpecReadFailure {
  code: "TooLarge" | "NotRegularFile" | "Unreadable";
  message: string;
  /** The file does not exist (any more), e.g. it was deleted between an event and its read. */
  missing: boolean;
}

/** Options of {@link readSpecFile}. */
export interface SpecReadOptions {
  /**
   * The real path of the directory the file is watched in. When set, no symbolic link is followed:
   * a link as the file itself is refused, and so is a file whose real path is not inside `root`
   * (a directory on its way replaced by a link). Unset: a link the caller named is followed.
   */
  root?: string;
  /** Longest time the read may take before it is given up and reported; default 5000 ms. */
  timeoutMs?: number;
}

/** Default of {@link SpecReadOptions.timeoutMs}. */
export const SPEC_READ_TIMEOUT_MS = 5000;

// O_NONBLOCK: opening a FIFO (swapped in after the type check) returns at once instead of waiting
// for a writer. O_NOCTTY: a terminal never becomes the controlling terminal.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const LIMIT = MAX_SPEC_BYTES + 1;

/**
 * Reads one spec file synchronously (for `berth validate` and `berth apply`: a thousand
 * synchronous reads of small local files take a tenth of the time of the same reads through the
 * thread pool). Follows a link `path` itself is; refuses anything that is not a regular file
 * before opening it, opens without blocking, checks the descriptor again, and reads at most
 * 1 MiB + 1 byte. Never throws.
 */
export function readSpecText(path: string): string | SpecReadFailure {
  let fd: number | undefined;
  try {
    const refused = refuse(statSync(path));
    if (refused) return refused;
    fd = openSync(path, OPEN_FLAGS);
    const info = fstatSync(fd);
    const changed = refuse(info);
    if (changed) return changed;
    let buf: Buffer = Buffer.allocUnsafe(capacity(info.size));
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) return buf.toString("utf8", 0, n);
      n += got;
      if (n < buf.length) continue;
      if (buf.length === LIMIT) return tooLarge(undefined);
      buf = grow(buf, n);
    }
  } catch (err) {
    return failure(err, false);
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

/**
 * Reads one spec file without blocking the event loop: the same checks as {@link readSpecText}
 * on a FileHandle, given up after `timeoutMs` (reported as Unreadable; the read itself finishes
 * in the background and closes its handle). With `root`, links are not followed. Never rejects.
 */
export async function readSpecFile(
  path: string,
  opts: SpecReadOptions = {},
): Promise<string | SpecReadFailure> {
  const timeoutMs = opts.timeoutMs ?? SPEC_READ_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<SpecReadFailure>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          code: "Unreadable",
          message: `reading the file took longer than ${timeoutMs} ms; it is read again when it changes`,
          missing: false,
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([readBounded(path, opts.root), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readBounded(path: string, root: string | undefined): Promise<string | SpecReadFailure> {
  let handle: FileHandle | undefined;
  try {
    const refused = refuse(root === undefined ? await stat(path) : await lstat(path));
    if (refused) return refused;
    handle = await open(path, OPEN_FLAGS | (root === undefined ? 0 : NO_FOLLOW));
    const info = await handle.stat();
    const changed = refuse(info);
    if (changed) return changed;
    if (root !== undefined && !(await sameFileInside(path, info, root))) return outside(root);
    let buf: Buffer = Buffer.allocUnsafe(capacity(info.size));
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) return buf.toString("utf8", 0, n);
      n += bytesRead;
      if (n < buf.length) continue;
      if (buf.length === LIMIT) return tooLarge(undefined);
      buf = grow(buf, n);
    }
  } catch (err) {
    return failure(err, root !== undefined);
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Whether `path` resolves, through no link leaving `root`, to the file `opened` is. */
async function sameFileInside(path: string, opened: Stats, root: string): Promise<boolean> {
  const real = await realpath(path);
  const rel = relative(root, real);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return false;
  const now = await stat(real);
  return now.dev === opened.dev && now.ino === opened.ino;
}

/** A failure for anything but a regular file of at most MAX_SPEC_BYTES; undefined when it is one. */
function refuse(info: Stats): SpecReadFailure | undefined {
  if (!info.isFile()) {
    const link = info.isSymbolicLink();
    return notRegular(
      link ? "a symbolic link, which Berth does not follow in a watched directory" : kindOf(info),
      link ? "put the file itself here instead of a link to it" : "replace it with a regular file",
    );
  }
  return info.size > MAX_SPEC_BYTES ? tooLarge(info.size) : undefined;
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  return "an entry of an unknown kind";
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing was written; a failed close loses nothing
  }
}

function notRegular(what: string, fix: string): SpecReadFailure {
  return { code: "NotRegularFile", message: `not a regular file (${what}); ${fix}`, missing: false };
}

function outside(root: string): SpecReadFailure {
  return notRegular(
    `its path leads out of ${root} through a symbolic link, which Berth does not follow`,
    "put the file itself in the directory",
  );
}

function tooLarge(size: number | undefined): SpecReadFailure {
  const what = size === undefined ? "larger than 1 MiB" : `${(size / MAX_SPEC_BYTES).toFixed(1)} MiB`;
  return {
    code: "TooLarge",
    message: `the file is ${what}; a spec file may be at most 1 MiB, split it into several files`,
    missing: false,
  };
}

function failure(err: unknown, noFollow: boolean): SpecReadFailure {
  const code = (err as NodeJS.ErrnoException).code;
  if (noFollow && code === "ELOOP") {
    return notRegular(
      "a symbolic link, which Berth does not follow in a watched directory",
      "put the file itself here",
    );
  }
  return {
    code: "Unreadable",
    message: `cannot read the file: ${(err as Error).message}`,
    missing: code === "ENOENT" || code === "ENOTDIR",
  };
}

/** First buffer size: the size the file says it has plus one byte (to see growth), at most LIMIT. */
function capacity(size: number): number {
  return Math.min(Math.max(size, 0), MAX_SPEC_BYTES) + 1;
}

function grow(buf: Buffer, used: number): Buffer {
  const next = Buffer.allocUnsafe(Math.min(buf.length * 2, LIMIT));
  buf.copy(next, 0, 0, used);
  return next;
}
