import { realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { watch as chokidarWatch, type ChokidarOptions, type FSWatcher } from "chokidar";
import type { Logger } from "../util/logger.js";
import type { Enqueue, Source } from "../controller/controller.js";
import type { DesiredStore } from "./desired-store.js";
import { specDigest, type SpecHandOver, type WrittenSpec } from "./hand-over.js";
import { OrderedReads } from "./ordered-reads.js";
import { ReadMarks } from "./read-marks.js";
import { WatchAdmission } from "./watch-admission.js";
import { WatchProblems } from "./watch-problems.js";
import {
  parseProjects,
  type ParseResult,
  readSpecFile,
  SPEC_READ_TIMEOUT_MS,
  type SpecReadFailure,
  type SpecWatchCondition,
} from "../api/index.js";
import {
  formatFinding,
  isComposeFile,
  parseComposeSpec,
  type ComposeSourceOptions,
} from "../compose/index.js";

/** Default of {@link FileSourceOptions.maxEntries}. */
export const MAX_WATCHED_ENTRIES = 20_000;

/** Reads one spec file of the watched directory, whose real path is `root`. Never rejects. */
export type SpecFileReader = (path: string, root: string) => Promise<string | SpecReadFailure>;

/** Starts a chokidar watcher; the default is chokidar's `watch`. */
export type WatcherFactory = (dir: string, options: ChokidarOptions) => FSWatcher;

/** Options of a FileSource, parsed once by the caller. */
export interface FileSourceOptions {
  /** The watched directory. */
  dir: string;
  store: DesiredStore;
  logger: Logger;
  /** Quiet time per path before a change is read (editors write in bursts). Default 100 ms. */
  debounceMs?: number;
  /** How file names appear in errors; default relative to the working directory. */
  display?: (absPath: string) => string;
  /**
   * Most directories and spec files watched at once; what lies beyond is left out and reported
   * as `TreeTooLarge`. Default {@link MAX_WATCHED_ENTRIES}.
   */
  maxEntries?: number;
  /** How long reading one file may take before it is reported as unreadable. Default 5 s. */
  readTimeoutMs?: number;
  /** Replaces the file reader (tests); default {@link readSpecFile} with the watched root. */
  readSpec?: SpecFileReader;
  /**
   * How compose files (`compose.yaml`, `docker-compose.yml`, ...) of the directory load; each is a
   * project. Default: the process environment is not read, fixed host ports are honoured.
   */
  compose?: ComposeSourceOptions;
  /** Replaces the watcher factory (tests); default chokidar's `watch`. */
  watch?: WatcherFactory;
  /** Clock of the problems' transition times. */
  now?: () => Date;
}

/**
 * Desired state from a directory of spec files: watches it recursively (the directory, not the
 * files, so saves by rename are seen), reads a changed file after a quiet period, skips writes
 * that leave the content as it was, and feeds the DesiredStore, enqueueing every key whose
 * desired state changed. Keys found by the initial scan are enqueued with low priority.
 *
 * Symbolic links are never followed, whether they point inside the directory or out of it: a
 * linked directory is not entered, and a link named like a spec file is reported as "not a
 * regular file" for that file (a dangling or looping one is skipped), as are FIFOs, devices and
 * sockets. Not following links inside keeps one rule for all links, no cycles and no project
 * defined twice through a link to its own file. Only regular files are read,
 * asynchronously, at most 1 MiB + 1 byte each and within `readTimeoutMs`, so nothing blocks the
 * event loop. Reads of one path apply in the order they started. Directories it cannot watch and
 * a tree over `maxEntries` are logged and returned by {@link problems}; the rest keeps loading.
 *
 * It is also the {@link SpecHandOver} of the spec writer: a write's parse goes into the store at
 * once (see {@link wrote}), and the read the watcher's event then causes finds the same digest
 * and parses nothing.
 */
export class FileSource implements Source, SpecHandOver {
  private readonly dir: string;
  private readonly debounceMs: number;
  private readonly display: (p: string) => string;
  private readonly maxEntries: number;
  private readonly readSpec: SpecFileReader;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Orders reads against the spec writer's hand-overs. */
  private readonly marks = new ReadMarks();
  /** Set while watching: the real path of the directory, what it admits, where changed keys go. */
  private watching: { root: string; admission: WatchAdmission; enqueue: Enqueue } | undefined;
  private readonly reads = new OrderedReads<{ mark: number; text: string | SpecReadFailure }>();
  private readonly watchProblems: WatchProblems;
  private watcher: FSWatcher | undefined;
  private readonly initial: Promise<void>;
  private markReady: () => void = () => {};

  constructor(private readonly opts: FileSourceOptions) {
    this.dir = resolve(opts.dir);
    this.debounceMs = opts.debounceMs ?? 100;
    this.display = opts.display ?? defaultDisplay;
    this.maxEntries = opts.maxEntries ?? MAX_WATCHED_ENTRIES;
    const timeoutMs = opts.readTimeoutMs ?? SPEC_READ_TIMEOUT_MS;
    this.readSpec = opts.readSpec ?? ((path, root) => readSpecFile(path, { root, timeoutMs }));
    this.watchProblems = new WatchProblems(this.dir, opts.logger, opts.now);
    this.initial = new Promise((r) => (this.markReady = r));
  }

  /**
   * Resolves once the initial scan has been read into the store: the watcher's scan is complete
   * and every read it started has been applied (or has failed and been reported). Also resolves
   * when the source stops first.
   */
  ready(): Promise<void> {
    return this.initial;
  }

  /** What keeps part of the directory from being watched now (empty when all is watched). */
  problems(): readonly SpecWatchCondition[] {
    return this.watchProblems.list();
  }

  /** See {@link SpecHandOver.mark}. */
  mark(): number {
    return this.marks.mark();
  }

  /**
   * Takes a spec writer's write (see {@link SpecHandOver.wrote}): the store gets its parse at
   * once, file names as this source shows them, and the keys it changes are queued. Reads of the
   * file that started before the write are dropped when they finish, since the write replaced
   * what they read. When a read started after the write's mark, it may have seen the write, what
   * it replaced, or a newer edit: the write waits for it, takes its place only if the store still
   * holds what the write replaced, and lends that read its parse if it found the written text.
   */
  async wrote(spec: WrittenSpec): Promise<boolean> {
    const w = this.watching;
    if (!w) return false;
    const rel = relative(w.root, spec.path);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return false;
    if (!spec.removed && !w.admission.admitWritten(spec.path)) return false;
    const abs = this.outward(w.root, spec.path);
    const parsed = spec.removed ? undefined : this.relabel(abs, spec.parsed);
    if (this.marks.readSince(abs, spec.mark)) {
      const offer = parsed && !spec.removed ? { digest: spec.digest, parsed } : undefined;
      if (offer) this.marks.offer(abs, offer);
      await this.marks.settled(abs);
      if (offer) this.marks.withdraw(abs, offer);
      if (this.watching !== w) return false;
      const now = this.opts.store.content(abs)?.digest;
      const target = spec.removed ? undefined : spec.digest;
      // the store holds neither the write nor what it replaced: something newer is there
      if (now !== target && now !== spec.replaces) return false;
    }
    if (spec.removed) this.remove(abs, w.enqueue);
    else if (parsed && this.opts.store.content(abs)?.digest !== spec.digest)
      this.record(abs, spec.digest, parsed, w.enqueue);
    this.marks.handed(abs, spec.mark);
    return true;
  }

  /** See {@link SpecHandOver.parsed}. */
  parsed(path: string, digest: string): ParseResult | undefined {
    const w = this.watching;
    if (!w) return undefined;
    const content = this.opts.store.content(this.outward(w.root, path));
    return content?.digest === digest ? content.parsed : undefined;
  }

  /** Starts watching; returns at once. Stops when `signal` aborts. */
  start(signal: AbortSignal, enqueue: Enqueue): void {
    if (signal.aborted) {
      void this.stop();
      return;
    }
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    void this.watchRoot(signal, enqueue);
  }

  private async watchRoot(signal: AbortSignal, enqueue: Enqueue): Promise<void> {
    // chokidar would treat a root that is itself a link as a link; watch its target.
    const root = await realpath(this.dir).catch(() => this.dir);
    if (signal.aborted) return;
    const outward = (p: string) => this.outward(root, p);
    const admission = new WatchAdmission(root, this.maxEntries, (path) =>
      this.watchProblems.treeTooLarge(this.maxEntries, outward(path)),
    );
    this.watching = { root, admission, enqueue };
    let scanning = true;
    const watcher = (this.opts.watch ?? chokidarWatch)(root, {
      ignoreInitial: false,
      atomic: true,
      followSymlinks: false,
      ignored: (path, stats) => admission.ignored(path, stats),
    });
    this.watcher = watcher;
    const onPath = (path: string) => {
      const low = (k: string) => enqueue(k, { priority: "low" });
      if (scanning) void this.read(root, path, outward(path), low);
      else this.schedule(path, () => void this.read(root, path, outward(path), enqueue));
    };
    watcher.on("add", onPath);
    watcher.on("change", onPath);
    watcher.on("unlink", (path) => {
      admission.forget(path);
      this.reads.cancel(outward(path));
      this.schedule(path, () => this.remove(outward(path), enqueue));
    });
    watcher.on("unlinkDir", (path) => {
      admission.forget(path);
      this.watchProblems.forget(outward(path));
    });
    watcher.on("error", (err) => {
      const path = (err as NodeJS.ErrnoException).path;
      this.watchProblems.watchError(err, typeof path === "string" ? outward(path) : undefined);
    });
    watcher.on("ready", () => {
      scanning = false;
      void this.reads.settled().then(() => {
        this.opts.logger.info("spec files loaded", {
          dir: this.dir,
          projects: this.opts.store.keys().length,
        });
        this.markReady();
      });
    });
  }

  /** `parsed` with every file name as this source shows the file at `abs`. */
  private relabel(abs: string, parsed: ParseResult): ParseResult {
    const file = this.display(abs);
    return {
      projects: parsed.projects.map((p) => ({ ...p, file })),
      errors: parsed.errors.map((e) => ({ ...e, file })),
    };
  }

  /** A path under the real `root` as it reads under the directory this source was given. */
  private outward(root: string, path: string): string {
    return root === this.dir ? path : join(this.dir, relative(root, path));
  }

  private schedule(path: string, fn: () => void): void {
    clearTimeout(this.timers.get(path));
    this.timers.set(
      path,
      setTimeout(() => {
        this.timers.delete(path);
        fn();
      }, this.debounceMs),
    );
  }

  private read(root: string, path: string, abs: string, enqueue: (key: string) => void): Promise<void> {
    const done = this.reads
      .run(
        abs,
        async () => {
          const mark = this.marks.readStarts(abs);
          return { mark, text: await this.readSpec(path, root) };
        },
        ({ mark, text }) => {
          // a write handed over after this read started replaced what it read
          if (!this.marks.stale(abs, mark)) this.apply(abs, text, enqueue);
        },
      )
      .catch((error: unknown) => this.opts.logger.error("reading a spec file failed", { file: abs, error }));
    this.marks.track(abs, done);
    return done;
  }

  private apply(abs: string, text: string | SpecReadFailure, enqueue: (key: string) => void): void {
    if (typeof text === "string") {
      const digest = specDigest(text);
      // the same content as the store's, e.g. a write the spec writer handed over: nothing to parse
      if (this.opts.store.content(abs)?.digest === digest) return;
      const offered = this.marks.offered(abs, digest); // a write waiting for this read
      this.record(abs, digest, offered ?? this.parse(abs, text), enqueue);
      return;
    }
    if (text.missing) return; // deleted before it was read; its unlink event follows
    const error = {
      code: text.code,
      file: this.display(abs),
      line: 1,
      column: 1,
      path: "",
      message: text.message,
    };
    this.record(abs, undefined, { projects: [], errors: [error] }, enqueue);
  }

  /** A spec file's parse; a compose file is loaded and converted, its loss report's warnings logged. */
  private parse(abs: string, text: string): ParseResult {
    if (!isComposeFile(abs)) return parseProjects(text, this.display(abs));
    const opts = this.opts.compose ?? { env: () => ({}), allocatePorts: false };
    const { result, warnings } = parseComposeSpec(abs, text, this.display, opts);
    for (const w of warnings)
      this.opts.logger.info("compose key not carried over", { finding: formatFinding(w) });
    return result;
  }

  /** Puts a file's parse into the store, logging its errors, and queues the keys that changed. */
  private record(
    abs: string,
    digest: string | undefined,
    parsed: ParseResult,
    enqueue: (key: string) => void,
  ): void {
    for (const e of parsed.errors)
      this.opts.logger.warn("invalid spec", {
        file: e.file,
        line: e.line,
        column: e.column,
        path: e.path,
        error: e.message,
      });
    for (const key of this.opts.store.setFile(abs, parsed, digest)) enqueue(key);
  }

  private remove(abs: string, enqueue: (key: string) => void): void {
    this.reads.cancel(abs);
    this.marks.forget(abs);
    for (const key of this.opts.store.removeFile(abs)) enqueue(key);
  }

  private async stop(): Promise<void> {
    this.watching = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.reads.stop();
    this.markReady();
    await this.watcher?.close();
  }
}

function defaultDisplay(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}
