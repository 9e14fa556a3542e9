import { createHash } from "node:crypto";
import { basename, isAbsolute, relative, resolve, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { isSpecFile, readSpecText } from "../api/load.js";
import { parseProjects, type ParseResult } from "../api/parse.js";
import type { Logger } from "../util/logger.js";
import type { Enqueue, Source } from "./controller.js";
import type { DesiredStore } from "./desired-store.js";

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
}

/**
 * Desired state from a directory of spec files: watches it recursively (the directory, not the
 * files, so saves by rename are seen), reads a changed file after a quiet period, skips writes
 * that leave the content as it was, and feeds the DesiredStore, enqueueing every key whose
 * desired state changed. Keys found by the initial scan are enqueued with low priority.
 */
export class FileSource implements Source {
  private readonly dir: string;
  private readonly debounceMs: number;
  private readonly display: (p: string) => string;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly digests = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private readonly initial: Promise<void>;
  private markReady: () => void = () => {};

  constructor(private readonly opts: FileSourceOptions) {
    this.dir = resolve(opts.dir);
    this.debounceMs = opts.debounceMs ?? 100;
    this.display = opts.display ?? defaultDisplay;
    this.initial = new Promise((r) => (this.markReady = r));
  }

  /** Resolves once the initial scan has been read into the store. */
  ready(): Promise<void> {
    return this.initial;
  }

  /** Starts watching; returns at once. Stops when `signal` aborts. */
  start(signal: AbortSignal, enqueue: Enqueue): void {
    let scanning = true;
    const watcher = watch(this.dir, {
      ignoreInitial: false,
      atomic: true,
      ignored: (path, stats) => ignored(this.dir, path, stats?.isFile() ?? false),
    });
    this.watcher = watcher;
    const onPath = (path: string) => {
      if (scanning) this.read(path, (k) => enqueue(k, { priority: "low" }));
      else this.schedule(path, () => this.read(path, enqueue));
    };
    watcher.on("add", onPath);
    watcher.on("change", onPath);
    watcher.on("unlink", (path) => this.schedule(path, () => this.remove(path, enqueue)));
    watcher.on("error", (err) =>
      this.opts.logger.warn("watching spec files failed", { dir: this.dir, error: String(err) }),
    );
    watcher.on("ready", () => {
      scanning = false;
      this.opts.logger.info("spec files loaded", { dir: this.dir, projects: this.opts.store.keys().length });
      this.markReady();
    });
    signal.addEventListener("abort", () => void this.stop(), { once: true });
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

  private read(path: string, enqueue: (key: string) => void): void {
    const abs = resolve(path);
    const text = readSpecText(abs);
    let parsed: ParseResult;
    if (typeof text === "string") {
      const digest = createHash("sha256").update(text).digest("hex");
      if (this.digests.get(abs) === digest) return;
      this.digests.set(abs, digest);
      parsed = parseProjects(text, this.display(abs));
    } else {
      if (text.code === "Unreadable" && !this.digests.has(abs)) return; // vanished before it was read
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

  private remove(path: string, enqueue: (key: string) => void): void {
    const abs = resolve(path);
    this.digests.delete(abs);
    for (const key of this.opts.store.removeFile(abs)) enqueue(key);
  }

  private async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.markReady();
    await this.watcher?.close();
  }
}

function ignored(root: string, path: string, isFile: boolean): boolean {
  const rel = relative(root, path);
  if (rel === "") return false;
  if (rel.split(sep).some((part) => part.startsWith(".") || part === "node_modules")) return true;
  return isFile && !isSpecFile(basename(path));
}

function defaultDisplay(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}
