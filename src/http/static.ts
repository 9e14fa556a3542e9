/**
 * Static files for the dashboard: one directory, files looked up by a single path segment (no
 * sub-directories, so no path can climb out), served with their content type, a strong ETag and
 * `cache-control: no-cache` (the browser revalidates and gets a 304 while nothing changed).
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { HttpError } from "./errors.js";

/** Content types of the files the dashboard build produces; anything else is not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** Headers on every static response: nothing but this host may be loaded or framed. */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** A file name that may be served: one segment, no dot at the start, a known extension. Pure. */
export function isServableName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) && !name.includes("..") && extname(name) in CONTENT_TYPES;
}

/** Whether an `If-None-Match` header matches `etag` (a list, `*`, or weak forms). Pure. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => t.trim() === "*" || strip(t) === strip(etag));
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

/**
 * Serves the files of one directory. Contents and ETags are cached in memory and re-read when a
 * file's mtime or size changes, so a rebuild is picked up without a restart. Safe to share
 * between concurrent requests.
 */
export class StaticFiles {
  private readonly cache = new Map<string, CachedFile>();

  constructor(readonly root: string) {}

  /**
   * Answers GET/HEAD for `name` (a single path segment, already URL-decoded). Throws HttpError 404
   * for a name that is not servable or does not exist.
   */
  async serve(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const file = await this.load(name);
    const headers: Record<string, string | number> = {
      ...STATIC_SECURITY_HEADERS,
      "content-type": CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
      "cache-control": "no-cache",
      etag: file.etag,
    };
    if (etagMatches(req.headers["if-none-match"], file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, "content-length": file.body.length });
    res.end(req.method === "HEAD" ? undefined : file.body);
  }

  private async load(name: string): Promise<CachedFile> {
    if (!isServableName(name)) throw notFound(name);
    const path = join(this.root, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw notFound(name);
    const cached = this.cache.get(name);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(path);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
    const entry = { mtimeMs: info.mtimeMs, size: info.size, body, etag };
    this.cache.set(name, entry);
    return entry;
  }
}

function notFound(name: string): HttpError {
  return new HttpError(404, "NotFound", `no such dashboard file: ${name}`);
}
