/**
 * Watches the files and directories that containers are made from (build contexts, env files,
 * secret files) and enqueues the projects that use one when it changes. One chokidar watcher per
 * path, shared by the containers that use it and closed when none does; changes are debounced
 * (editors write in bursts); out of inotify instances or watches, a path is polled instead.
 */
import { watch, type FSWatcher } from "chokidar";
import type { Enqueue, Source } from "../controller/controller.js";
import type { Logger } from "../util/logger.js";

/** Quiet time after the last change before the projects are enqueued. */
const DEBOUNCE_MS = 150;
/** Poll interval when inotify is exhausted. */
const POLL_MS = 1000;

/** A {@link Source} over the paths each `project`'s `container` uses; see the module comment. */
export class PathUseWatcher implements Source {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Path -> the `project\0container` pairs that use it. */
  private readonly users = new Map<string, Set<string>>();
  /** `project\0container` -> its paths. */
  private readonly pathsOf = new Map<string, readonly string[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private enqueue: Enqueue | undefined;
  private signal: AbortSignal | undefined;

  /** `what` names one watched path in log messages: "a build context", "an env or secret file". */
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  start(signal: AbortSignal, enqueue: Enqueue): void {
    this.enqueue = enqueue;
    this.signal = signal;
    for (const path of this.users.keys()) this.watchPath(path);
    signal.addEventListener("abort", () => this.close(), { once: true });
  }

  /** The real paths `container` of `project` uses now (replacing the last set). Synchronous, idempotent. */
  track(project: string, container: string, paths: readonly string[]): void {
    const id = `${project}\0${container}`;
    const before = this.pathsOf.get(id) ?? [];
    if (before.length === paths.length && before.every((p, i) => p === paths[i])) return;
    for (const p of before) this.drop(id, p);
    if (paths.length === 0) this.pathsOf.delete(id);
    else this.pathsOf.set(id, [...paths]);
    for (const p of paths) {
      let set = this.users.get(p);
      if (!set) this.users.set(p, (set = new Set()));
      set.add(id);
      this.watchPath(p);
    }
  }

  /** Forgets every path of a project (deleted). */
  untrackProject(project: string): void {
    for (const [id, paths] of [...this.pathsOf]) {
      if (!id.startsWith(`${project}\0`)) continue;
      for (const p of paths) this.drop(id, p);
      this.pathsOf.delete(id);
    }
  }

  private drop(id: string, path: string): void {
    const set = this.users.get(path);
    set?.delete(id);
    if (set && set.size === 0) {
      this.users.delete(path);
      void this.watchers.get(path)?.close();
      this.watchers.delete(path);
    }
  }

  private watchPath(path: string, polling = false): void {
    if (this.enqueue === undefined || this.signal?.aborted) return;
    if (this.watchers.has(path) && !polling) return;
    const w = watch(path, {
      ignoreInitial: true,
      followSymlinks: false,
      persistent: true,
      ...(polling ? { usePolling: true, interval: POLL_MS, binaryInterval: POLL_MS } : {}),
    });
    w.on("all", () => this.changed(path));
    w.on("error", (err) => {
      // chokidar passes fs.watch's error on, sometimes without its code: read the message too
      const code = (err as NodeJS.ErrnoException).code ?? /\b(EMFILE|ENOSPC)\b/.exec(String(err))?.[1];
      if (!polling && (code === "EMFILE" || code === "ENOSPC") && this.users.has(path)) {
        this.logger.warn(`cannot watch ${this.what} with inotify; polling it instead`, { path, code });
        void w.close();
        this.watchPath(path, true);
        return;
      }
      this.logger.warn(`watching ${this.what} failed`, { path, err });
    });
    this.watchers.set(path, w);
  }

  private changed(path: string): void {
    clearTimeout(this.timers.get(path));
    const timer = setTimeout(() => {
      this.timers.delete(path);
      const projects = new Set([...(this.users.get(path) ?? [])].map((id) => id.split("\0")[0] ?? ""));
      for (const p of projects) if (p !== "") this.enqueue?.(p);
    }, DEBOUNCE_MS);
    timer.unref();
    this.timers.set(path, timer);
  }

  private close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.watchers.values()) void w.close();
    this.watchers.clear();
  }
}
