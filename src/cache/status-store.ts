/**
 * The observed status of every project, keyed `namespace/name`, with its recent phase transitions.
 * One writer (the reconciler) sets and deletes; CLI, MCP tools, HTTP and metrics read. The last
 * known state is kept in `status.json` in the state directory (L3), so reads work at start-up
 * before the operator has re-observed anything.
 */
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { backoffDelay } from "../util/backoff.js";
import type { Clock, Timer } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import { StateFileError, readJsonFile, writeJsonFileAtomic } from "./state-dir.js";
import { PHASES } from "../api/index.js";
import type { Condition, Phase, ProjectStatus, StatusEntry, StatusReader, Transition } from "../api/index.js";

/** The status file's name inside the state directory. */
export const STATUS_FILE = "status.json";

/** How many phase transitions are kept per project. */
export const MAX_TRANSITIONS = 20;

/** Options of {@link StatusStore.open}. */
export interface StatusStoreOptions {
  /** Directory holding `status.json`; created on the first write when missing. */
  stateDir: string;
  logger: Logger;
  /** Timers for the write-behind; default {@link systemClock}. */
  clock?: Clock;
  /** Minimum time between two writes of the file, in ms; default 1000. */
  flushMs?: number;
  /** Wall clock for transition times; default `new Date()`. */
  now?: () => Date;
}

interface StatusFile {
  version: 1;
  projects: Record<string, StatusEntry>;
}

const RETRY_MAX_MS = 60_000;

/**
 * In-memory status of all projects, persisted write-behind. `set`/`delete` may only be called by
 * the reconciler (the single writer); every other method may be called by anyone. Nothing here
 * blocks: reads and writes are synchronous and file writes happen in the background, at most one
 * at a time and at most one per `flushMs`. A failed write is logged and retried with backoff.
 * Returned entries are frozen snapshots; they never change after they are returned.
 */
export class StatusStore implements StatusReader {
  private readonly entries = new Map<string, StatusEntry>();
  private readonly listeners = new Set<(key: string) => void>();
  private readonly faulty = new WeakSet<(key: string) => void>();
  private readonly path: string;
  private version = 0;
  private persisted = 0;
  private failures = 0;
  private timer: Timer | undefined;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    stateDir: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly flushMs: number,
    private readonly now: () => Date,
  ) {
    this.path = join(stateDir, STATUS_FILE);
  }

  /**
   * Loads `status.json` from the state directory (missing = empty). A file that is not valid JSON,
   * or not shaped like a status file, is renamed to `status.json.corrupt-<time>` and the store
   * starts empty; invalid entries are skipped; either is logged once. Throws `StateFileError` only
   * when the file exists but cannot be read (e.g. permissions). Not retried.
   */
  static async open(options: StatusStoreOptions): Promise<StatusStore> {
    const now = options.now ?? (() => new Date());
    const store = new StatusStore(
      options.stateDir,
      options.logger,
      options.clock ?? systemClock,
      options.flushMs ?? 1000,
      now,
    );
    await store.load();
    return store;
  }

  get(key: string): StatusEntry | undefined {
    return this.entries.get(key);
  }

  /** Keys of all projects with a status, sorted. */
  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  watch(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Records the observed status of `key`. When it equals the stored one apart from
   * `lastReconcileTime`, nothing happens and `false` is returned (so a no-op resync costs one
   * comparison). Otherwise stores a frozen copy, appends a transition if the phase changed,
   * schedules a write and calls the watchers synchronously, then returns `true`. Writer only.
   */
  set(key: string, status: ProjectStatus): boolean {
    const prev = this.entries.get(key);
    if (prev && sameStatus(prev.status, status)) return false;
    const next = deepFreeze(JSON.parse(JSON.stringify(status)) as ProjectStatus);
    let transitions = prev?.transitions ?? [];
    if (next.phase !== undefined && next.phase !== prev?.status.phase) {
      const why = explain(next.conditions ?? []);
      const t: Transition = { time: this.now().toISOString(), to: next.phase, ...why };
      if (prev?.status.phase !== undefined) t.from = prev.status.phase;
      transitions = [...transitions, t].slice(-MAX_TRANSITIONS);
    }
    this.entries.set(
      key,
      Object.freeze({ status: next, transitions: Object.freeze(transitions) as Transition[] }),
    );
    this.changed(key);
    return true;
  }

  /** Forgets `key` (the project is gone); returns whether it had a status. Writer only. */
  delete(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    this.changed(key);
    return true;
  }

  /** Number of projects in each phase (every phase present, 0 when none); for a gauge. */
  phaseCounts(): Record<Phase, number> {
    const counts = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
    for (const { status } of this.entries.values()) if (status.phase) counts[status.phase] += 1;
    return counts;
  }

  /**
   * Writes pending changes now, after any write in progress; resolves when every change made
   * before the call is on disk, rejects when that write fails. For shutdown; may be called anytime.
   */
  async flush(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.write();
  }

  private changed(key: string): void {
    this.version += 1;
    this.schedule(this.flushMs);
    for (const listener of [...this.listeners]) {
      try {
        listener(key);
      } catch (err) {
        if (this.faulty.has(listener)) continue;
        this.faulty.add(listener);
        this.logger.error("status watcher threw; further errors of this watcher are not logged", {
          key,
          err,
        });
      }
    }
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.write().catch(() => undefined); // logged in write()
    }, ms);
  }

  /** Writes the current state unless it is already on disk; never runs two writes at once. */
  private write(): Promise<void> {
    const run = this.writing.then(async () => {
      const version = this.version;
      if (version === this.persisted) return;
      const projects = Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      try {
        await writeJsonFileAtomic(this.path, { version: 1, projects } satisfies StatusFile);
      } catch (err) {
        if (this.failures++ === 0)
          this.logger.warn("cannot write the status file; retrying", { path: this.path, err });
        this.schedule(backoffDelay(this.failures, { baseMs: this.flushMs, maxMs: RETRY_MAX_MS }));
        throw err;
      }
      if (this.failures > 0) this.logger.info("status file written again", { path: this.path });
      this.failures = 0;
      this.persisted = Math.max(this.persisted, version);
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<void> {
    let raw: unknown;
    try {
      raw = await readJsonFile<unknown>(this.path, { version: 1, projects: {} });
    } catch (err) {
      if (!(err instanceof StateFileError) || !(err.cause instanceof SyntaxError)) throw err;
      await this.moveAside(err.message);
      return;
    }
    const projects = isRecord(raw) ? raw.projects : undefined;
    if (!isRecord(projects)) {
      await this.moveAside(`${this.path} has no "projects" object`);
      return;
    }
    const skipped: string[] = [];
    for (const [key, value] of Object.entries(projects)) {
      const entry = toEntry(value);
      if (entry && key.includes("/")) this.entries.set(key, entry);
      else skipped.push(key);
    }
    if (skipped.length > 0) {
      this.logger.warn("skipped invalid entries in the status file", { path: this.path, keys: skipped });
    }
  }

  private async moveAside(problem: string): Promise<void> {
    const aside = `${this.path}.corrupt-${this.now().toISOString().replace(/[:.]/g, "-")}`;
    try {
      await rename(this.path, aside);
      this.logger.warn("status file is corrupt; moved it aside and starting with no last known status", {
        problem,
        movedTo: aside,
      });
    } catch (err) {
      this.logger.warn("status file is corrupt and cannot be moved aside; it will be overwritten", {
        problem,
        err,
      });
    }
  }
}

/** Reason and message of a transition: the Ready condition's, else the first False condition's. */
function explain(conditions: readonly Condition[]): { reason: string; message: string } {
  const c = conditions.find((x) => x.type === "Ready") ?? conditions.find((x) => x.status === "False");
  return { reason: c?.reason ?? "", message: c?.message ?? "" };
}

/** Equality of two statuses as JSON values, ignoring `lastReconcileTime`. */
function sameStatus(a: ProjectStatus, b: ProjectStatus): boolean {
  return jsonEqual({ ...a, lastReconcileTime: undefined }, { ...b, lastReconcileTime: undefined });
}

/** Structural equality of JSON-like values; a key whose value is `undefined` counts as absent. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(ra[k], rb[k]));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function isPhase(v: unknown): v is Phase {
  return typeof v === "string" && (PHASES as readonly string[]).includes(v);
}

function toTransition(v: unknown): Transition | undefined {
  if (!isRecord(v) || typeof v.time !== "string" || !isPhase(v.to)) return undefined;
  const t: Transition = {
    time: v.time,
    to: v.to,
    reason: typeof v.reason === "string" ? v.reason : "",
    message: typeof v.message === "string" ? v.message : "",
  };
  if (isPhase(v.from)) t.from = v.from;
  return t;
}

/** A loaded entry, or undefined when its shape is wrong; bad transitions are dropped. */
function toEntry(v: unknown): StatusEntry | undefined {
  if (!isRecord(v) || !isRecord(v.status)) return undefined;
  if (v.status.phase !== undefined && !isPhase(v.status.phase)) return undefined;
  const list = Array.isArray(v.transitions) ? (v.transitions as unknown[]) : [];
  const transitions = list.flatMap((t) => toTransition(t) ?? []).slice(-MAX_TRANSITIONS);
  return deepFreeze({ status: v.status as ProjectStatus, transitions });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
