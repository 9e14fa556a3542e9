/**
 * Copies the status the reconciler computes into the Project objects' `/status` subresource.
 * A write is a JSON merge patch of `.status` (keys that disappeared are sent as null), made only
 * when the status differs from the one the object holds (`lastReconcileTime` alone is no
 * difference), at most one at a time per project. A status write changes neither the generation
 * nor anything else the watch turns into a reconcile, so it cannot start a loop.
 */
import { backoffDelay } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { ProjectsApi } from "./api.js";
import type { KubeDesiredStore } from "./desired.js";
import { KubeApiError } from "./errors.js";
import { isDeleting } from "./objects.js";
import { canonicalJson, splitKey, type ProjectStatus, type StatusReader } from "../api/index.js";

/** Counts of status writes by result, for the metrics. */
export interface StatusWriterMetrics {
  written(result: "success" | "error"): void;
}

/** Options of {@link StatusWriter}. */
export interface StatusWriterOptions {
  api: Pick<ProjectsApi, "patchStatus">;
  store: KubeDesiredStore;
  status: StatusReader;
  logger: Logger;
  /** Whether this instance may write now (it is the leader). */
  active: () => boolean;
  clock?: Clock;
  metrics?: StatusWriterMetrics;
  /** Retry delay after a failed write: doubling from 500 ms up to this; default 30 s. */
  maxRetryMs?: number;
  /** Writes in flight at once; default 16. */
  concurrency?: number;
  /**
   * A change waits this long before it is written, so that the quick succession of a start
   * (Pending, Progressing, Running) costs one or two writes instead of one each; default 100 ms.
   */
  coalesceMs?: number;
}

/**
 * Writes status for every project this instance runs. `start` subscribes to the local status and
 * the watched objects and returns at once; `sweep` checks every project (on becoming leader).
 */
export class StatusWriter {
  private readonly clock: Clock;
  private readonly inflight = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Map<string, { cancel(): void }>();
  private readonly waiting: string[] = [];
  private readonly delayed = new Map<string, { cancel(): void }>();
  private running = 0;
  private stopped = false;

  constructor(private readonly o: StatusWriterOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /** Starts following changes; stops when `signal` aborts. */
  start(signal: AbortSignal): void {
    const offStatus = this.o.status.watch((key) => this.schedule(key));
    const offStore = this.o.store.subscribe((change) => this.schedule(change.key));
    signal.addEventListener(
      "abort",
      () => {
        this.stopped = true;
        offStatus();
        offStore();
        for (const t of [...this.retryTimers.values(), ...this.delayed.values()]) t.cancel();
        this.retryTimers.clear();
        this.delayed.clear();
      },
      { once: true },
    );
  }

  /** Checks every known project once, writing what differs. */
  sweep(): void {
    for (const key of this.o.store.objectKeys()) this.schedule(key);
  }

  private schedule(key: string): void {
    if (this.stopped || !this.o.active() || this.delayed.has(key)) return;
    const delay = this.o.coalesceMs ?? 100;
    if (delay <= 0 || this.inflight.has(key)) return this.begin(key);
    this.delayed.set(
      key,
      this.clock.setTimeout(() => {
        this.delayed.delete(key);
        this.begin(key);
      }, delay),
    );
  }

  private begin(key: string): void {
    if (this.stopped || !this.o.active()) return;
    if (this.inflight.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.retryTimers.has(key)) return; // the retry will look at the newest status
    if (!this.pending(key)) return;
    this.inflight.add(key);
    if (this.running < (this.o.concurrency ?? 16)) void this.run(key);
    else this.waiting.push(key);
  }

  /** The merge patch `key` needs, or undefined when its object already holds the status. */
  private pending(key: string): { status: Record<string, unknown> } | undefined {
    const local = this.o.status.get(key)?.status;
    const object = this.o.store.object(key);
    if (!local || !object || isDeleting(object) || !this.o.store.owns(object)) return undefined;
    if (sameStatus(local, object.status)) return undefined;
    return { status: statusPatch(object.status, local) };
  }

  private async run(key: string): Promise<void> {
    this.running++;
    try {
      const patch = this.pending(key);
      if (patch && this.o.active()) await this.write(key, patch);
    } finally {
      this.running--;
      this.inflight.delete(key);
      if (this.dirty.delete(key)) this.schedule(key);
      const next = this.waiting.shift();
      if (next !== undefined) void this.run(next);
    }
  }

  private async write(key: string, patch: { status: Record<string, unknown> }): Promise<void> {
    const { namespace, name } = splitKey(key);
    try {
      await this.o.api.patchStatus(namespace, name, patch);
      this.failures.delete(key);
      this.o.metrics?.written("success");
    } catch (err) {
      this.o.metrics?.written("error");
      if (err instanceof KubeApiError && err.notFound) return; // gone; nothing to report on
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = backoffDelay(Math.min(n - 1, 10), { baseMs: 500, maxMs: this.o.maxRetryMs ?? 30_000 });
      this.o.logger.warn("writing project status failed; retrying", {
        project: key,
        error: (err as Error).message,
        retryInMs: delay,
      });
      this.retryTimers.set(
        key,
        this.clock.setTimeout(() => {
          this.retryTimers.delete(key);
          this.schedule(key);
        }, delay),
      );
    }
  }
}

/** Whether two statuses are the same apart from `lastReconcileTime`. */
export function sameStatus(a: ProjectStatus | undefined, b: ProjectStatus | undefined): boolean {
  return canonicalJson(comparable(a)) === canonicalJson(comparable(b));
}

function comparable(s: ProjectStatus | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s ?? {})) {
    if (k !== "lastReconcileTime" && v !== undefined) out[k] = v;
  }
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/** A merge patch turning status `current` into `next`: next's fields, and null for dropped ones. */
export function statusPatch(
  current: ProjectStatus | undefined,
  next: ProjectStatus,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(current ?? {})) patch[k] = null;
  for (const [k, v] of Object.entries(next)) if (v !== undefined) patch[k] = v;
  return patch;
}
