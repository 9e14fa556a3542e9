/**
 * The dev loop of all projects: which watch rules are active (their container runs), their
 * watchers, and the outcomes they report. The reconciler tells it after each reconcile which
 * containers run ({@link DevLoop.set}); it never waits for a watcher. Outcomes go to the
 * project's status at its next reconcile (the project is enqueued) and, at once, to `onOutcome`
 * (events, metrics, the log stream).
 */
import { stat } from "node:fs/promises";
import type { Enqueue, Source } from "../../controller/controller.js";
import type { Logger } from "../../util/logger.js";
import { PathPolicyError, type PathResolver } from "../mounts.js";
import type { ActiveRule, ApplyDeps } from "./apply.js";
import { describeRecord, MAX_SYNC_RECORDS, syncedCondition, withRecord } from "./records.js";
import { RuleWatcher } from "./rule-watch.js";
import type { BatchTiming } from "./batch.js";
import type { Condition, SyncRecord, WatchRule } from "../../api/index.js";

/** A container as the reconciler last saw it: running as `containerID`, with these rules. */
export interface LiveContainer {
  containerID: string;
  rules: readonly WatchRule[];
  /** What relative rule paths resolve against (the spec's directory). */
  specDir: string | undefined;
}

/** What the dev loop needs. */
export interface DevLoopDeps extends Omit<ApplyDeps, "rebuild" | "linkInside"> {
  paths: Pick<PathResolver, "resolve">;
  logger: Logger;
  /** Each outcome, as soon as it is known (events, metrics). Must not throw. */
  onOutcome?: (key: string, record: SyncRecord, message: string) => void;
  timing?: BatchTiming;
}

/** A container that stops this long and comes back (a restart) keeps its watchers. */
const DEACTIVATE_GRACE_MS = 10_000;
/** A rebuild whose replacement does not come within this long is no longer waited for. */
const REBUILD_WAIT_MS = 10 * 60_000;

interface Entry {
  fingerprint: string;
  containerID: string;
  watchers: RuleWatcher[];
  ready: Promise<void>;
  stopTimer?: NodeJS.Timeout | undefined;
}

interface ProjectSyncs {
  records: SyncRecord[];
  latest: { record: SyncRecord; message: string } | undefined;
  ready: Set<string>;
}

/** The dev loop; also the {@link Source} through which it enqueues projects. */
export class DevLoop implements Source {
  private readonly entries = new Map<string, Entry>();
  private readonly projects = new Map<string, ProjectSyncs>();
  private readonly rebuilds = new Map<string, { record: SyncRecord; at: number; containerID: string }>();
  private enqueue: Enqueue | undefined;
  private readonly applyDeps: ApplyDeps & { logger: Logger };

  constructor(private readonly deps: DevLoopDeps) {
    this.applyDeps = {
      ...deps,
      rebuild: (key) => this.enqueue?.(key),
      linkInside: (abs) =>
        deps.paths.resolve({ field: "a link", path: abs, baseDir: undefined }).then(
          () => true,
          () => false,
        ),
    };
  }

  start(signal: AbortSignal, enqueue: Enqueue): void {
    this.enqueue = enqueue;
    signal.addEventListener("abort", () => this.close(), { once: true });
  }

  /**
   * Container `container` of project `key` runs as `live` (or does not run: undefined). Starts,
   * keeps or stops its rules' watchers. Synchronous; the watchers start in the background.
   */
  set(key: string, container: string, live: LiveContainer | undefined): void {
    const id = `${key}\0${container}`;
    const entry = this.entries.get(id);
    if (live === undefined || live.rules.length === 0) {
      if (!entry) return;
      if (live === undefined && entry.stopTimer === undefined) {
        entry.stopTimer = setTimeout(() => this.drop(id), DEACTIVATE_GRACE_MS);
        entry.stopTimer.unref();
      } else if (live !== undefined) this.drop(id);
      return;
    }
    this.replaced(key, container, live.containerID);
    const fingerprint = JSON.stringify([live.containerID, live.rules, live.specDir]);
    if (entry?.fingerprint === fingerprint) {
      clearTimeout(entry.stopTimer);
      entry.stopTimer = undefined;
      return;
    }
    if (entry) this.drop(id);
    this.activate(id, key, container, live, fingerprint);
  }

  /** Forgets a project: its watchers stop, its outcomes are dropped. */
  remove(key: string): void {
    for (const id of [...this.entries.keys()]) if (id.startsWith(`${key}\0`)) this.drop(id);
    for (const id of [...this.rebuilds.keys()]) if (id.startsWith(`${key}\0`)) this.rebuilds.delete(id);
    this.projects.delete(key);
  }

  /**
   * Takes over the outcomes a project's last status recorded (after an operator restart), unless
   * this dev loop has outcomes of its own for it already. Synchronous.
   */
  seed(key: string, records: readonly SyncRecord[] | undefined): void {
    if (!records?.length || this.projects.has(key)) return;
    this.project(key).records = records.slice(0, MAX_SYNC_RECORDS);
  }

  /** The last outcomes of a project, newest first (at most 10). */
  records(key: string): readonly SyncRecord[] {
    return this.projects.get(key)?.records ?? [];
  }

  /** The `Synced` condition of a project whose spec has watch rules. */
  condition(key: string, previous: Condition | undefined, now: string, generation: number): Condition {
    const p = this.projects.get(key);
    const c = syncedCondition(p?.latest, previous, now, generation);
    const starting = [...this.entries.keys()].some(
      (id) => id.startsWith(`${key}\0`) && !(p?.ready.has(id.slice(key.length + 1)) ?? false),
    );
    if (p?.latest === undefined && starting) {
      return { ...c, reason: "WatchStarting", message: "starting the watchers of develop.watch" };
    }
    return c;
  }

  /** Resolves once the watchers of `key`'s running containers have finished their first scan. */
  async watching(key: string): Promise<void> {
    const ready = [...this.entries].filter(([id]) => id.startsWith(`${key}\0`)).map(([, e]) => e.ready);
    await Promise.all(ready);
  }

  /** Number of watchers open now (for leak checks). */
  get watcherCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.watchers.length;
    return n;
  }

  private activate(
    id: string,
    key: string,
    container: string,
    live: LiveContainer,
    fingerprint: string,
  ): void {
    const watchers: RuleWatcher[] = [];
    const entry: Entry = { fingerprint, containerID: live.containerID, watchers, ready: Promise.resolve() };
    this.entries.set(id, entry);
    entry.ready = Promise.all(
      live.rules.map(async (rule, index) => {
        const active = await this.resolve(key, container, live, rule, index);
        if (!active || this.entries.get(id) !== entry) return;
        const w = new RuleWatcher(
          active,
          this.applyDeps,
          (r) => this.outcome(key, r, rule.target),
          this.deps.timing,
        );
        watchers.push(w);
        await w.start();
      }),
    ).then(() => {
      if (this.entries.get(id) !== entry) return;
      this.project(key).ready.add(container);
      this.enqueue?.(key);
    });
  }

  private async resolve(
    key: string,
    container: string,
    live: LiveContainer,
    rule: WatchRule,
    index: number,
  ): Promise<ActiveRule | undefined> {
    const field = `develop.watch[${index}].path of container "${container}"`;
    try {
      const real = await this.deps.paths.resolve({ field, path: rule.path, baseDir: live.specDir });
      const isFile = !(await stat(real)).isDirectory();
      return { key, container, containerID: live.containerID, rule, real, isFile };
    } catch (err) {
      const message = err instanceof PathPolicyError ? err.message : `${field}: ${(err as Error).message}`;
      const record: SyncRecord = {
        container,
        path: rule.path,
        action: rule.action,
        time: new Date().toISOString(),
        files: 0,
        bytes: 0,
        durationMs: 0,
        error: message,
      };
      this.outcome(key, record, rule.target);
      return undefined;
    }
  }

  private outcome(key: string, record: SyncRecord, target: string | undefined): void {
    const message = describeRecord(record, target);
    this.deps.output(key, record.container, `[sync] ${message}`);
    if (record.action === "rebuild" && record.error === undefined) {
      const id = `${key}\0${record.container}`;
      const containerID = this.entries.get(id)?.containerID ?? "";
      this.rebuilds.set(id, { record, at: Date.now() - record.durationMs, containerID });
      return; // reported when the replacement runs
    }
    this.report(key, record, message);
  }

  private report(key: string, record: SyncRecord, message: string): void {
    const p = this.project(key);
    p.records = withRecord(p.records, record);
    p.latest = { record, message };
    try {
      this.deps.onOutcome?.(key, record, message);
    } catch (err) {
      this.deps.logger.warn("reporting a sync outcome failed", { project: key, err });
    }
    this.enqueue?.(key);
  }

  /** A rebuild waited for: the container now runs as `containerID`. */
  private replaced(key: string, container: string, containerID: string): void {
    const id = `${key}\0${container}`;
    const pending = this.rebuilds.get(id);
    if (!pending) return;
    if (Date.now() - pending.at > REBUILD_WAIT_MS) this.rebuilds.delete(id);
    if (pending.containerID === containerID) return;
    this.rebuilds.delete(id);
    const record = { ...pending.record, time: new Date().toISOString(), durationMs: Date.now() - pending.at };
    const message = `rebuilt and replaced ${container} after ${record.files} changed under ${record.path} in ${record.durationMs} ms`;
    this.deps.output(key, container, `[sync] ${message}`);
    this.report(key, record, message);
  }

  private project(key: string): ProjectSyncs {
    let p = this.projects.get(key);
    if (!p) this.projects.set(key, (p = { records: [], latest: undefined, ready: new Set() }));
    return p;
  }

  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    clearTimeout(entry.stopTimer);
    for (const w of entry.watchers) w.close();
    this.entries.delete(id);
    const [key = "", container = ""] = id.split("\0");
    this.projects.get(key)?.ready.delete(container);
  }

  private close(): void {
    for (const id of [...this.entries.keys()]) this.drop(id);
  }
}
