/**
 * The file watcher of one active watch rule: chokidar on the rule's real path (links not
 * followed), skipping what the rule's `ignore` and the path's `.dockerignore` exclude, feeding a
 * {@link ChangeBatcher} whose batches {@link applyBatch} applies. Everything runs off the
 * reconcile loop; {@link close} releases the watcher and drops pending changes.
 */
import { watch, type FSWatcher } from "chokidar";
import { basename, join, relative, sep } from "node:path";
import { patternFilter, readIgnorePatterns, type ContextFilter } from "../../runtime/dockerignore.js";
import { readIgnoreFile } from "../../runtime/tar.js";
import type { Logger } from "../../util/logger.js";
import { applyBatch, type ActiveRule, type ApplyDeps } from "./apply.js";
import { ChangeBatcher, DEFAULT_BATCH_TIMING, type BatchTiming } from "./batch.js";
import { expandDirectories } from "./expand.js";
import { SentStamps } from "./sent.js";
import type { SyncRecord } from "../../api/index.js";

/** Poll interval when inotify is exhausted: short, as a sync should land well within a second. */
const POLL_MS = 150;

/** The filter of a rule: its `ignore` patterns after those of the path's `.dockerignore`. Pure. */
export function ruleFilter(
  fileText: readonly string[],
  ignore: readonly string[] | undefined,
): ContextFilter {
  return patternFilter([...fileText, ...readIgnorePatterns((ignore ?? []).join("\n"))]);
}

/** Watches one rule until closed; each applied batch is reported through `onRecord`. */
export class RuleWatcher {
  private watcher: FSWatcher | undefined;
  private readonly batcher: ChangeBatcher;
  private readonly abort = new AbortController();
  private filter: ContextFilter = patternFilter([]);
  private closed = false;
  private readonly sentStamps: SentStamps;

  constructor(
    private readonly active: ActiveRule,
    private readonly deps: ApplyDeps & { logger: Logger },
    private readonly onRecord: (record: SyncRecord) => void,
    timing: BatchTiming = DEFAULT_BATCH_TIMING,
  ) {
    this.batcher = new ChangeBatcher((paths) => this.apply(paths), timing);
    this.sentStamps = new SentStamps(active.real);
  }

  /**
   * Starts watching; resolves once the initial scan is done (edits from then on are seen). Out of
   * inotify instances or watches, it polls instead of missing edits.
   */
  async start(): Promise<void> {
    if (!this.active.isFile) await this.loadFilter();
    if (this.closed) return;
    await this.open(false);
  }

  private open(polling: boolean): Promise<void> {
    const w = watch(this.active.real, {
      ignoreInitial: true,
      followSymlinks: false,
      persistent: true,
      ignored: (path, stats) => this.ignored(path, stats?.isDirectory()),
      ...(polling ? { usePolling: true, interval: POLL_MS, binaryInterval: POLL_MS } : {}),
    });
    this.watcher = w;
    return new Promise<void>((resolve) => {
      w.once("ready", resolve);
      this.abort.signal.addEventListener("abort", () => resolve(), { once: true });
      w.on("all", (event, path) => this.changed(path, event === "addDir"));
      w.on("error", (err) => {
        // chokidar passes fs.watch's error on, sometimes without its code: read the message too
        const code = (err as NodeJS.ErrnoException).code ?? /\b(EMFILE|ENOSPC)\b/.exec(String(err))?.[1];
        if (!polling && (code === "EMFILE" || code === "ENOSPC") && this.watcher === w && !this.closed) {
          this.deps.logger.warn("cannot watch a develop.watch path with inotify; polling it instead", {
            ...this.where(),
            code,
          });
          void w.close();
          void this.open(true).then(resolve);
          return;
        }
        this.deps.logger.warn("watching a develop.watch path failed", { ...this.where(), err });
      });
    });
  }

  /** Stops watching: pending changes are dropped, a batch being applied is aborted. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.batcher.close();
    this.abort.abort(new Error("the watch rule was stopped"));
    void this.watcher?.close();
  }

  /** Resolves when no batch is being applied. */
  idle(): Promise<void> {
    return this.batcher.idle();
  }

  private where(): Record<string, string> {
    return { project: this.active.key, container: this.active.container, path: this.active.rule.path };
  }

  private async loadFilter(): Promise<void> {
    try {
      this.filter = ruleFilter(await readIgnoreFile(this.active.real), this.active.rule.ignore);
    } catch (err) {
      this.deps.logger.warn("cannot read the .dockerignore of a develop.watch path", {
        ...this.where(),
        err,
      });
      this.filter = ruleFilter([], this.active.rule.ignore);
    }
  }

  /** The path relative to the rule's directory, `/`-separated; the file's name for a file rule. */
  private rel(path: string): string {
    if (this.active.isFile) return basename(this.active.real);
    const rel = relative(this.active.real, path);
    return sep === "/" ? rel : rel.split(sep).join("/");
  }

  private ignored(path: string, isDir: boolean | undefined): boolean {
    if (this.active.isFile) return false;
    const rel = this.rel(path);
    if (rel === "" || rel.startsWith("..")) return false;
    if (!this.filter.excludes(rel)) return false;
    return !(isDir !== false && this.filter.mayIncludeBelow(rel));
  }

  private changed(path: string, settle: boolean): void {
    const rel = this.rel(path);
    if (rel === "" && !this.active.isFile) return;
    if (this.ignored(path, undefined)) return;
    if (rel === ".dockerignore" && !this.active.isFile) void this.loadFilter();
    this.batcher.add(rel, settle);
  }

  private async apply(paths: readonly string[]): Promise<void> {
    if (this.closed) return;
    try {
      const all = this.active.isFile
        ? paths
        : await expandDirectories(this.active.real, paths, (rel, isDir) =>
            this.ignored(join(this.active.real, rel), isDir),
          );
      const fresh = this.active.isFile
        ? { paths: all, stamps: undefined }
        : await this.sentStamps.changed(all);
      if (fresh.paths.length === 0) return; // all sent already, as it is now
      const record = await applyBatch(this.active, fresh.paths, this.deps, this.abort.signal);
      if (fresh.stamps && record && record.error === undefined)
        this.sentStamps.sent(fresh.paths, fresh.stamps);
      if (record && !this.closed) this.onRecord(record);
    } catch (err) {
      if (!this.abort.signal.aborted)
        this.deps.logger.warn("a develop.watch sync failed", { ...this.where(), err });
    }
  }
}
