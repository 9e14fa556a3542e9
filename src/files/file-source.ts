import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { realpath } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { watch as chokidarWatch, type ChokidarOptions, type FSWatcher } from "chokidar";
import type { Logger } from "../util/logger.js";
import type { Enqueue, Source } from "../controller/controller.js";
import type { DesiredStore } from "./desired-store.js";
import { OrderedReads } from "./ordered-reads.js";
import { WatchProblems } from "./watch-problems.js";
import {
  isSpecFile,
  parseProjects,
  type ParseResult,
  readSpecFile,
  SPEC_READ_TIMEOUT_MS,
  type SpecReadFailure,
  type SpecWatchCondition,
} from "../api/index.js";

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
 */
export class FileSource implements Source {
  private readonly dir: string;
  private readonly debounceMs: number;
  private readonly display: (p: string) => string;
  private readonly maxEntries: number;
  private readonly readSpec: SpecFileReader;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly digests = new Map<string, string>();
  /** Real paths of the directories and spec files admitted to the watch. */
  private readonly admitted = new Set<string>();
  private readonly reads = new OrderedReads<string | SpecReadFailure>();
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
    const outward = (p: string) => (root === this.dir ? p : join(this.dir, relative(root, p)));
    let scanning = true;
    const watcher = (this.opts.watch ?? chokidarWatch)(root, {
      ignoreInitial: false,
      atomic: true,
      followSymlinks: false,
      ignored: (path, stats) => this.ignored(root, path, stats, outward),
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
      this.admitted.delete(path);
      this.reads.cancel(outward(path));
      this.schedule(path, () => this.remove(outward(path), enqueue));
    });
    watcher.on("unlinkDir", (path) => {
      this.admitted.delete(path);
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

  /**
   * chokidar's filter, called with and without the entry's lstat. Leaves out hidden entries,
   * node_modules, links and other entries not named like spec files, and anything new once
   * `maxEntries` are admitted.
   */
  private ignored(
    root: string,
    path: string,
    stats: Stats | undefined,
    outward: (p: string) => string,
  ): boolean {
    const rel = relative(root, path);
    if (rel === "") return false;
    if (rel.split(sep).some((part) => part.startsWith(".") || part === "node_modules")) return true;
    if (stats === undefined) return !this.admitted.has(path) && this.admitted.size >= this.maxEntries;
    if (!stats.isDirectory() && !isSpecFile(basename(path))) return true;
    if (this.admitted.has(path)) return false;
    if (this.admitted.size >= this.maxEntries) {
      this.watchProblems.treeTooLarge(this.maxEntries, outward(path));
      return true;
    }
    this.admitted.add(path);
    return false;
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
    return this.reads
      .run(
        abs,
        () => this.readSpec(path, root),
        (text) => this.apply(abs, text, enqueue),
      )
      .catch((error: unknown) => this.opts.logger.error("reading a spec file failed", { file: abs, error }));
  }

  private apply(abs: string, text: string | SpecReadFailure, enqueue: (key: string) => void): void {
    let parsed: ParseResult;
    if (typeof text === "string") {
      const digest = createHash("sha256").update(text).digest("hex");
      if (this.digests.get(abs) === digest) return;
      this.digests.set(abs, digest);
      parsed = parseProjects(text, this.display(abs));
    } else {
      if (text.missing) return; // deleted before it was read; its unlink event follows
      this.digests.delete(abs);
      parsed = {
        projects: [],
        errors: [
          { code: text.code, file: this.display(abs), line: 1, column: 1, path: "", message: text.message },
        ],
      };
    }
    for (const e of parsed.errors)
      this.opts.logger.warn("invalid spec", {
        file: e.file,
        line: e.line,
        column: e.column,
        path: e.path,
        error: e.message,
      });
    for (const key of this.opts.store.setFile(abs, parsed)) enqueue(key);
  }

  private remove(abs: string, enqueue: (key: string) => void): void {
    this.reads.cancel(abs);
    this.digests.delete(abs);
    for (const key of this.opts.store.removeFile(abs)) enqueue(key);
  }

  private async stop(): Promise<void> {
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
