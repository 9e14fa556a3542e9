/**
 * The digest of a build's inputs: every path of the context that `docker build` would receive
 * (the same walk and `.dockerignore` rules as the tar in tar.ts), with its type, mode and content
 * (a link's target), plus the Dockerfile path and the build args. A file listed in `.dockerignore`
 * changes nothing; any sent byte, a mode, a new or removed path changes the digest.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";
import { contextFilter } from "./dockerignore.js";
import { contextEntries, readIgnoreFile } from "./tar.js";

/** What a build digest covers besides the context. */
export interface BuildDigestInput {
  /** The Dockerfile, relative to the context; default `Dockerfile`. */
  dockerfile?: string | undefined;
  /** Build args (`--build-arg`); order does not matter. */
  args?: Readonly<Record<string, string>> | undefined;
  /**
   * Context paths (relative, `/`-separated) left out of the digest though still sent: what the
   * dev loop copies into running containers, so that a synced edit does not rebuild.
   */
  exclude?: readonly string[] | undefined;
}

interface FileMark {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  hash: string;
}

/** Most files whose content hash is remembered; beyond it the oldest marks are dropped. */
const MAX_MARKS = 100_000;

/**
 * Computes build digests (`sha256:<hex>`). Remembers each file's content hash by its size,
 * mtime, ctime and inode, so a digest of an unchanged context costs one `lstat` per path and no
 * read. One instance per owner (no module state); safe to call concurrently.
 */
export class BuildDigester {
  private readonly marks = new Map<string, FileMark>();

  /** The digest of `contextDir` with `input`. Rejects when the context cannot be read. */
  async digest(contextDir: string, input: BuildDigestInput = {}): Promise<string> {
    const dockerfile = input.dockerfile ?? "Dockerfile";
    const filter = contextFilter(await readIgnoreFile(contextDir), dockerfile);
    const entries = await contextEntries(contextDir, filter);
    const h = createHash("sha256");
    h.update(`dockerfile\0${dockerfile}\n`);
    const args = Object.entries(input.args ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, v] of args) h.update(`arg\0${k}\0${v}\n`);
    const excluded = (rel: string): boolean =>
      input.exclude?.some((x) => x === "" || rel === x || rel.startsWith(`${x}/`)) ?? false;
    for (const rel of entries) {
      if (excluded(rel)) continue;
      const abs = join(contextDir, rel);
      const st = await lstat(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) h.update(`link\0${rel}\0${mode}\0${await readlink(abs)}\n`);
      else if (st.isDirectory()) h.update(`dir\0${rel}\0${mode}\n`);
      else h.update(`file\0${rel}\0${mode}\0${await this.fileHash(abs, st)}\n`);
    }
    return `sha256:${h.digest("hex")}`;
  }

  private async fileHash(
    abs: string,
    st: { size: number; mtimeMs: number; ctimeMs: number; ino: number },
  ): Promise<string> {
    const mark = this.marks.get(abs);
    if (
      mark &&
      mark.size === st.size &&
      mark.mtimeMs === st.mtimeMs &&
      mark.ctimeMs === st.ctimeMs &&
      mark.ino === st.ino
    ) {
      return mark.hash;
    }
    const h = createHash("sha256");
    for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
    const hash = h.digest("hex");
    if (this.marks.size >= MAX_MARKS) {
      const oldest = this.marks.keys().next().value;
      if (oldest !== undefined) this.marks.delete(oldest);
    }
    this.marks.delete(abs);
    this.marks.set(abs, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash });
    return hash;
  }
}

/**
 * The tag a build of these inputs gets: the first 16 hex digits of the digest, prefixed so a
 * person reading `docker images` sees where it came from (`src-3f2a...`). Pure.
 */
export function buildTag(digest: string): string {
  return `src-${digest.replace(/^sha256:/, "").slice(0, 16)}`;
}

/** The repository part of an image reference (`registry:5000/team/app:1.2` -> `registry:5000/team/app`). Pure. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf("@");
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}
