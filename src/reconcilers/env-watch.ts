/**
 * Watches the env files and secret files containers get their environment from, and enqueues the
 * projects that use one when it changes, so that an edit replaces those containers (the reconcile
 * reads the files again; their digest is part of the spec hash). The values are never read here.
 */
import { watch, type FSWatcher } from "chokidar";
import type { Enqueue, Source } from "../controller/controller.js";
import type { Logger } from "../util/logger.js";

/** Quiet time after the last change before the projects are enqueued (editors write in bursts). */
const DEBOUNCE_MS = 150;

/** Records which files a project's container reads its environment from (see {@link EnvFileWatcher}). */
export interface EnvFileTracker {
  /** The real paths of the files `container` of `project` reads now (replacing the last set). Synchronous. */
  track(project: string, container: string, files: readonly string[]): void;
  /** Forgets a project's files (deleted). */
  untrackProject(project: string): void;
}

/**
 * A {@link Source}: one chokidar watcher per file, shared by the containers that read it, closed
 * when no container reads it any more. A change enqueues every project that reads the file.
 */
export class EnvFileWatcher implements Source, EnvFileTracker {
  private readonly watchers = new Map<string, FSWatcher>();
  /** File -> projects that read it, with the containers. */
  private readonly users = new Map<string, Set<string>>();
  /** `project\0container` -> files. */
  private readonly filesOf = new Map<string, readonly string[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private enqueue: Enqueue | undefined;
  private signal: AbortSignal | undefined;

  constructor(private readonly logger: Logger) {}

  start(signal: AbortSignal, enqueue: Enqueue): void {
    this.enqueue = enqueue;
    this.signal = signal;
    for (const file of this.users.keys()) this.watchFile(file);
    signal.addEventListener("abort", () => this.close(), { once: true });
  }

  track(project: string, container: string, files: readonly string[]): void {
    const id = `${project}\0${container}`;
    const before = this.filesOf.get(id) ?? [];
    if (before.length === files.length && before.every((f, i) => f === files[i])) return;
    for (const f of before) this.drop(id, f);
    if (files.length === 0) this.filesOf.delete(id);
    else this.filesOf.set(id, [...files]);
    for (const f of files) {
      let set = this.users.get(f);
      if (!set) this.users.set(f, (set = new Set()));
      set.add(id);
      this.watchFile(f);
    }
  }

  untrackProject(project: string): void {
    for (const [id, files] of [...this.filesOf]) {
      if (!id.startsWith(`${project}\0`)) continue;
      for (const f of files) this.drop(id, f);
      this.filesOf.delete(id);
    }
  }

  private drop(id: string, file: string): void {
    const set = this.users.get(file);
    set?.delete(id);
    if (set && set.size === 0) {
      this.users.delete(file);
      void this.watchers.get(file)?.close();
      this.watchers.delete(file);
    }
  }

  private watchFile(file: string): void {
    if (this.enqueue === undefined || this.signal?.aborted || this.watchers.has(file)) return;
    const w = watch(file, { ignoreInitial: true, followSymlinks: false, persistent: true });
    w.on("all", () => this.changed(file));
    w.on("error", (err) => this.logger.warn("watching an env or secret file failed", { file, err }));
    this.watchers.set(file, w);
  }

  private changed(file: string): void {
    clearTimeout(this.timers.get(file));
    const timer = setTimeout(() => {
      this.timers.delete(file);
      const projects = new Set([...(this.users.get(file) ?? [])].map((id) => id.split("\0")[0] ?? ""));
      for (const p of projects) if (p !== "") this.enqueue?.(p);
    }, DEBOUNCE_MS);
    timer.unref();
    this.timers.set(file, timer);
  }

  private close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.watchers.values()) void w.close();
    this.watchers.clear();
  }
}
