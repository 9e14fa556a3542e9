/**
 * The build context of `docker build`: a directory as an uncompressed tar stream, made with
 * tar-fs, leaving out what its `.dockerignore` excludes (see ./dockerignore.ts). Entries are
 * sorted by path, directories before their contents, owner root:root and modes as on disk, as
 * the Docker CLI sends them. Symbolic links are sent as links, never followed (a link to a
 * directory is not descended, a target outside the context is not read); sockets, FIFOs and
 * devices are skipped. Long and non-ASCII paths get pax records.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, pipeline, type Readable } from "node:stream";
import { pack, type Headers, type PackOptions as TarFsOptions } from "tar-fs";
import { contextFilter, DOCKERIGNORE, readIgnorePatterns, type ContextFilter } from "./dockerignore.js";

/** Largest size ustar's 11 octal digits hold; a larger file's size goes in a pax record. */
const MAX_USTAR_SIZE = 0o77777777777;

/** Options of {@link packBuildContext}. */
export interface PackOptions {
  /** The Dockerfile, relative to the context; default `Dockerfile`. Sent even when ignored. */
  dockerfile?: string;
  /** Stops the walk, and destroys the stream with the abort reason. */
  signal?: AbortSignal;
}

/** A tar-stream header with the fields tar-fs passes through that its type definitions omit. */
type ContextHeader = Headers & { uname?: string; gname?: string; pax?: Record<string, string> };

/**
 * Reads `dir/.dockerignore` and lists the context, then resolves with the archive stream;
 * rejects when the directory or the ignore file cannot be read. File contents are read lazily
 * as the consumer pulls. A file that changes size while being read, or disappears, fails the
 * stream rather than corrupting the archive. The consumer destroys the stream when done early.
 */
export async function packBuildContext(dir: string, options: PackOptions = {}): Promise<Readable> {
  const { signal } = options;
  signal?.throwIfAborted();
  const filter = contextFilter(await readIgnoreFile(dir), options.dockerfile);
  const entries = await contextEntries(dir, filter);
  signal?.throwIfAborted();
  const tarOptions: TarFsOptions & { umask: number } = {
    entries,
    ignore: () => true, // `entries` lists everything: no directory is expanded again
    strict: false,
    umask: 0,
    map: dockerHeader,
  };
  const out = new PassThrough();
  // pipeline handles every error of both streams; `out` is destroyed with it for the consumer.
  pipeline(pack(dir, tarOptions), out, () => {});
  if (signal) {
    const onAbort = (): void => void out.destroy(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    out.once("close", () => signal.removeEventListener("abort", onAbort));
  }
  return out;
}

/** The `.dockerignore` patterns of `dir`; none when it has no such file. */
export async function readIgnoreFile(dir: string): Promise<string[]> {
  try {
    return readIgnorePatterns(await readFile(join(dir, DOCKERIGNORE), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/**
 * The paths of the context that are sent, depth first, sorted within each directory. An excluded
 * directory is not sent, and is walked only when an exception may bring back something below it.
 */
export async function contextEntries(root: string, filter: ContextFilter): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const dirents = await readdir(rel === "" ? root : join(root, rel), { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      const path = rel === "" ? d.name : `${rel}/${d.name}`;
      const excluded = filter.excludes(path);
      if (d.isDirectory()) {
        if (!excluded) out.push(path);
        if (!excluded || filter.mayIncludeBelow(path)) await visit(path);
      } else if (!excluded && (d.isFile() || d.isSymbolicLink())) {
        out.push(path);
      }
    }
  };
  await visit("");
  return out;
}

/**
 * The header as Docker writes it: owner root:root, a directory's name ending in `/`, and a pax
 * `size` record for a file too large for ustar. Pure.
 */
export function dockerHeader(header: Headers): ContextHeader {
  const out: ContextHeader = { ...header, uid: 0, gid: 0, uname: "root", gname: "root" };
  if (out.type === "directory" && !out.name.endsWith("/")) out.name = `${out.name}/`;
  if (out.size > MAX_USTAR_SIZE) out.pax = { size: String(out.size) };
  return out;
}
