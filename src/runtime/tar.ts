/**
 * A minimal streaming tar (POSIX ustar + pax extended headers) writer for Docker build contexts.
 * Writes directories, regular files and symbolic links; skips sockets, FIFOs and devices. Paths
 * longer than ustar allows get a pax `path`/`linkpath` record, so any depth works.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits in the 12-byte size field

/** One archive member as written into the header. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated, relative; directories end with `/`. */
  name: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  linkname?: string;
}

/** Options of {@link packDirectory}. */
export interface PackOptions {
  /** Stops the walk; the stream is destroyed with the abort reason. */
  signal?: AbortSignal;
}

/**
 * Streams the contents of `dir` as an uncompressed tar archive, entries sorted by path, owner
 * root:root (as `docker build` does). Non-blocking: reads files lazily as the consumer pulls.
 * A file that changes size while being read fails the stream rather than corrupting the archive.
 */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  return Readable.from(generateArchive(dir, options.signal), { objectMode: false });
}

async function* generateArchive(root: string, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  for await (const { entry, path } of walk(root, "")) {
    signal?.throwIfAborted();
    yield* entryHeaders(entry);
    if (entry.type === "file" && entry.size > 0) {
      yield* fileBody(path, entry.size);
      const pad = padding(entry.size);
      if (pad > 0) yield Buffer.alloc(pad);
    }
  }
  yield Buffer.alloc(BLOCK * 2);
}

async function* walk(root: string, rel: string): AsyncGenerator<{ entry: TarEntry; path: string }> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    const relPath = rel === "" ? name : `${rel}/${name}`;
    const path = join(root, relPath);
    const st = await lstat(path);
    const base = { mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      yield { entry: { ...base, name: `${relPath}/`, type: "directory", size: 0 }, path };
      yield* walk(root, relPath);
    } else if (st.isFile()) {
      yield { entry: { ...base, name: relPath, type: "file", size: st.size }, path };
    } else if (st.isSymbolicLink()) {
      const linkname = await readlink(path);
      yield { entry: { ...base, name: relPath, type: "symlink", size: 0, linkname }, path };
    }
  }
}

async function* fileBody(path: string, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) {
    const buf = chunk as Buffer;
    read += buf.length;
    yield buf;
  }
  if (read !== size) {
    throw new Error(`build context file ${path} changed while it was being sent (${read} of ${size} bytes)`);
  }
}

function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/**
 * The header block(s) for one entry: a pax extended header first when the path, link target or
 * size does not fit ustar's fields, then the ustar header. Pure.
 */
export function entryHeaders(entry: TarEntry): Buffer[] {
  const pax: string[] = [];
  const split = splitName(entry.name);
  if (split === undefined) pax.push(paxRecord("path", entry.name));
  const linkname = entry.linkname ?? "";
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord("linkpath", linkname));
  if (entry.size > MAX_OCTAL_SIZE) pax.push(paxRecord("size", String(entry.size)));

  const blocks: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(""), "utf8");
    const paxName = truncateBytes(`PaxHeader/${entry.name}`, 100);
    blocks.push(ustarHeader({ name: paxName, prefix: "" }, "x", 0o644, body.length, entry.mtime, ""));
    blocks.push(body);
    const pad = padding(body.length);
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  const typeflag = entry.type === "file" ? "0" : entry.type === "directory" ? "5" : "2";
  const size = entry.type === "file" ? Math.min(entry.size, MAX_OCTAL_SIZE) : 0;
  const names = split ?? { name: truncateBytes(entry.name, 100), prefix: "" };
  blocks.push(ustarHeader(names, typeflag, entry.mode, size, entry.mtime, truncateBytes(linkname, 100)));
  return blocks;
}

/** Splits a path into ustar's prefix (<= 155 bytes) and name (<= 100 bytes), or undefined. */
function splitName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  // A trailing "/" (directory) stays with the name part.
  const body = path.endsWith("/") ? path.slice(0, -1) : path;
  const suffix = path.endsWith("/") ? "/" : "";
  for (let i = body.indexOf("/"); i !== -1; i = body.indexOf("/", i + 1)) {
    const prefix = body.slice(0, i);
    const name = body.slice(i + 1) + suffix;
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== suffix) {
      return { name, prefix };
    }
  }
  return undefined;
}

/** A pax record "<len> <key>=<value>\n" whose length field counts itself. */
function paxRecord(key: string, value: string): string {
  const base = Buffer.byteLength(` ${key}=${value}\n`);
  let len = base + String(base).length;
  if (String(len).length !== String(base).length) len = base + String(len).length;
  return `${len} ${key}=${value}\n`;
}

function truncateBytes(s: string, max: number): string {
  let out = s;
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}

function ustarHeader(
  names: { name: string; prefix: string },
  typeflag: string,
  mode: number,
  size: number,
  mtime: number,
  linkname: string,
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(names.name, 0, 100, "utf8");
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum placeholder: spaces
  h.write(typeflag, 156, 1, "latin1");
  h.write(linkname, 157, 100, "utf8");
  h.write("ustar\0", 257, 6, "latin1");
  h.write("00", 263, 2, "latin1");
  h.write("root", 265, 32, "latin1");
  h.write("root", 297, 32, "latin1");
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  h.write(names.prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return h;
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  const digits = Math.max(0, Math.floor(value))
    .toString(8)
    .padStart(length - 1, "0");
  buf.write(`${digits}\0`, offset, length, "latin1");
}
