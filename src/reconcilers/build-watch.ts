/**
 * Watches the build contexts of `build:` images and enqueues the projects that use one when a
 * file in it changes, so that an edit rebuilds the image (the reconcile computes the context's
 * digest again: a change to a file `.dockerignore` excludes leaves it, and everything, as is).
 */
import { watch, type FSWatcher } from "chokidar";
import type { Enqueue, Source } from "../controller/controller.js";
import type { Logger } from "../util/logger.js";

/** Quiet time after the last change before the projects are enqueued (editors write in bursts). */
const DEBOUNCE_MS = 150;
/** Poll interval when inotify is exhausted. */
const POLL_MS = 1000;

/**
 * A {@link Source}: {@link track} registers a context directory for a project's container (the
 * image resolver calls it), and every change below that directory enqueues the project. One
 * chokidar watcher per directory, shared by the projects that use it; a directory no longer
 * tracked by anyone is unwatched.
 */
export class BuildContextWatcher implements Source {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directory -> the `project\0container` pairs that build from it. */
  private readonly users = new Map<string, Set<string>>();
  /** `project\0container` -> directory. */
  private readonly dirOf = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private enqueue: Enqueue | undefined;
  private signal: AbortSignal | undefined;

  constructor(private readonly logger: Logger) {}

  start(signal: AbortSignal, enqueue: Enqueue): void {
    this.enqueue = enqueue;
    this.signal = signal;
    for (const dir of this.users.keys()) this.watchDir(dir);
    signal.addEventListener("abort", () => this.close(), { once: true });
  }

  /** Records that `project`'s `container` builds from `dir` (a real path). Synchronous, idempotent. */
  track(project: string, container: string, dir: string): void {
    const id = `${project}\0${container}`;
    const before = this.dirOf.get(id);
    if (before === dir) return;
    if (before !== undefined) this.drop(id, before);
    this.dirOf.set(id, dir);
    let set = this.users.get(dir);
    if (!set) this.users.set(dir, (set = new Set()));
    set.add(id);
    this.watchDir(dir);
  }

  /** Forgets every context of a project (deleted). */
  untrackProject(project: string): void {
    for (const [id, dir] of [...this.dirOf]) if (id.startsWith(`${project}\0`)) this.drop(id, dir);
  }

  private drop(id: string, dir: string): void {
    this.dirOf.delete(id);
    const set = this.users.get(dir);
    set?.delete(id);
    if (set && set.size === 0) {
      this.users.delete(dir);
      void this.watchers.get(dir)?.close();
      this.watchers.delete(dir);
    }
  }

  private watchDir(dir: string, polling = false): void {
    if (this.enqueue === undefined || this.signal?.aborted) return;
    if (this.watchers.has(dir) && !polling) return;
    const w = watch(dir, {
      ignoreInitial: true,
      followSymlinks: false,
      persistent: true,
      ...(polling ? { usePolling: true, interval: POLL_MS, binaryInterval: POLL_MS } : {}),
    });
    w.on("all", () => this.changed(dir));
    w.on("error", (err) => {
      // chokidar passes fs.watch's error on, sometimes without its code: read the message too
      const code = (err as NodeJS.ErrnoException).code ?? /\b(EMFILE|ENOSPC)\b/.exec(String(err))?.[1];
      // Out of inotify instances or watches: poll instead of missing edits.
      if (!polling && (code === "EMFILE" || code === "ENOSPC") && this.users.has(dir)) {
        this.logger.warn("cannot watch a build context with inotify; polling it instead", { dir, code });
        void w.close();
        this.watchDir(dir, true);
        return;
      }
      this.logger.warn("watching a build context failed", { dir, err });
    });
    this.watchers.set(dir, w);
  }

  private changed(dir: string): void {
    clearTimeout(this.timers.get(dir));
    const timer = setTimeout(() => {
      this.timers.delete(dir);
      const projects = new Set([...(this.users.get(dir) ?? [])].map((id) => id.split("\0")[0] ?? ""));
      for (const p of projects) if (p !== "") this.enqueue?.(p);
    }, DEBOUNCE_MS);
    timer.unref();
    this.timers.set(dir, timer);
  }

  private close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.watchers.values()) void w.close();
    this.watchers.clear();
  }
}
