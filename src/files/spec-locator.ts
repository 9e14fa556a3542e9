import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { documentKey, findDocument } from "./spec-yaml.js";
import { parseYamlFile, type YamlFile } from "./spec-yaml-text.js";
import {
  BadRequestError,
  collectSpecFiles,
  type DesiredReader,
  FileInvalidError,
  PathEscapeError,
  readSpecFile,
} from "../api/index.js";

/** Where a project's document is: its file (real path) and the document index to try first. */
export interface SpecLocation {
  path: string;
  hint?: number;
  /**
   * The text read and parsed to confirm the location, so that a writer that reads the same text
   * again under its file lock can skip parsing it twice. Used once: edits change `file` in place.
   */
  confirmed?: { text: string; file: YamlFile };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Finds the spec files of projects inside the watched directory, for the spec writer: where the
 * desired state says a project is (the writer hands every write to the desired state, so it is
 * current after the writer's own writes), else by scanning the directory; every candidate is
 * confirmed by parsing it. All paths it returns are real paths inside the directory (symlinks
 * resolved); anything else is a PathEscapeError. Not locked: callers hold the project's lock
 * while they use a location.
 */
export class SpecLocator {
  private readonly dir: string;
  private realDir: string | undefined;
  /** What scans learnt of each spec file, with the stat it was read at. */
  private readonly scanned = new Map<string, { stamp: string; keys: ReadonlyMap<string, number> }>();

  constructor(
    dir: string,
    private readonly desired: DesiredReader,
  ) {
    this.dir = resolve(dir);
  }

  /** The locations of `keys` (undefined: not defined anywhere); scans the directory at most once. */
  async locateAll(keys: readonly string[]): Promise<Array<SpecLocation | undefined>> {
    const found = await Promise.all(keys.map((k) => this.fromCandidates(k)));
    const missing = keys.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    const scanned = await this.scan(missing);
    return found.map((f, i) => f ?? scanned.get(keys[i] ?? ""));
  }

  /**
   * A free path for a new project's file: `<name>.yaml` in "default", else
   * `<namespace>-<name>.yaml`, with `-2`, `-3`... when a file of that name exists or is `planned`.
   */
  async newFilePath(namespace: string, name: string, planned: ReadonlyMap<string, unknown>): Promise<string> {
    if (!DNS_LABEL.test(namespace) || !DNS_LABEL.test(name)) {
      throw new BadRequestError(`${namespace}/${name} is not a valid project name (DNS-1123 labels)`);
    }
    const dir = await this.root();
    const base = namespace === "default" ? name : `${namespace}-${name}`;
    for (let n = 1; n <= 1000; n++) {
      const path = join(dir, `${base}${n === 1 ? "" : `-${n}`}.yaml`);
      if (dirname(path) !== dir) throw new PathEscapeError(path, dir);
      if (!planned.has(path) && !(await exists(path))) return path;
    }
    throw new BadRequestError(`no free file name for ${namespace}/${name} in ${dir}`);
  }

  /** The real path of `path` (or of its directory, for a file not created yet), inside the root. */
  async confine(path: string): Promise<string> {
    const dir = await this.root();
    const abs = resolve(dir, path);
    const real = await realpath(abs).catch(async () => join(await realpath(dirname(abs)), basename(abs)));
    const rel = relative(dir, real);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) throw new PathEscapeError(path, dir);
    return real;
  }

  private async fromCandidates(key: string): Promise<SpecLocation | undefined> {
    const known = this.desired.get(key);
    if (known?.origin.kind !== "file") return undefined;
    const hint = known.origin.document;
    const path = await this.confine(known.origin.path);
    const text = await readText(path);
    if (text === undefined) return undefined;
    const file = parseYamlFile(text);
    if (findDocument(file, key, path, hint) === undefined) return undefined;
    return { path, hint, confirmed: { text, file } };
  }

  /** Reads every spec file that mentions one of the names, and maps the keys found to files. */
  private async scan(keys: readonly string[]): Promise<Map<string, SpecLocation>> {
    const wanted = new Set(keys);
    const out = new Map<string, SpecLocation>();
    const { files } = await collectSpecFiles([await this.root()]);
    const present = new Set(files);
    for (const path of this.scanned.keys()) if (!present.has(path)) this.scanned.delete(path);
    // all at once: one by one, each stat would wait its turn behind the fsyncs of other writes
    const defined = await Promise.all(files.map((f) => this.definedIn(f)));
    for (const [i, f] of files.entries()) {
      for (const [key, index] of defined[i] ?? []) {
        if (wanted.has(key) && !out.has(key)) out.set(key, { path: await this.confine(f), hint: index });
      }
    }
    return out;
  }

  /**
   * The projects file `path` defines (key to document index). Read and parsed once per version
   * of the file: a later scan only stats it, so creating a project in a directory of N files
   * costs N stats, not N reads.
   */
  private async definedIn(path: string): Promise<ReadonlyMap<string, number>> {
    const info = await lstat(path, { bigint: true }).catch(() => undefined);
    if (info === undefined) return new Map();
    const stamp = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const cached = this.scanned.get(path);
    if (cached?.stamp === stamp) return cached.keys;
    const text = await readText(path);
    const keys = new Map<string, number>();
    for (const [index, doc] of (text === undefined ? [] : parseYamlFile(text).docs).entries()) {
      const key = documentKey(doc);
      if (key !== undefined && !keys.has(key)) keys.set(key, index);
    }
    this.scanned.set(path, { stamp, keys });
    return keys;
  }

  private async root(): Promise<string> {
    this.realDir ??= await realpath(this.dir).catch(() => this.dir);
    return this.realDir;
  }
}

/**
 * A spec file's text, or undefined when it does not exist. Read like the file source reads:
 * regular files only, without blocking, at most 1 MiB, given up after 5 s; anything else throws
 * FileInvalidError naming the file.
 */
export async function readText(path: string): Promise<string | undefined> {
  const text = await readSpecFile(path);
  if (typeof text === "string") return text;
  if (text.missing) return undefined;
  throw new FileInvalidError(path, text.message);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
