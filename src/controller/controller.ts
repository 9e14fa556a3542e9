import { setMaxListeners } from "node:events";
import type { Clock } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import { nopLogger } from "../util/logger.js";
import { isTerminalError } from "./errors.js";
import type { RateLimiter } from "./ratelimiter.js";
import type { AddOptions, WorkQueueMetrics } from "./workqueue.js";
import { WorkQueue } from "./workqueue.js";

/**
 * What a reconcile returns. Nothing (or `{}`): done, the key's backoff is reset.
 * `{requeueAfterMs: n}` with n > 0: done for now, run again after n ms (backoff reset).
 * `{requeueAfterMs: 0}`: run again soon, rate limited like an error but not counted as one.
 * Failures are thrown, never returned; see {@link TerminalError} for failures not to retry.
 */
export type Result = { requeueAfterMs?: number } | void;

/**
 * Brings the world in line with the desired state of `key`, reading both from caches. Called by
 * at most one worker at a time per key; `signal` aborts when the controller stops, and the
 * controller waits for the returned promise before it reports that it has stopped.
 */
export type Reconcile = (key: string, signal: AbortSignal) => Promise<Result>;

/** Puts a key on the controller's queue. Never blocks, never throws; ignored after shutdown. */
export type Enqueue = (key: string, options?: AddOptions) => void;

/**
 * Something that tells the controller which keys to look at (file changes, watch events, Docker
 * events). `start` must not block: it sets up its listeners and returns; it stops when `signal`
 * aborts. It may call `enqueue` at any time until then. A synchronous throw stops the controller.
 */
export interface Source {
  start(signal: AbortSignal, enqueue: Enqueue): void;
}

/** Adapts a plain function to {@link Source}. */
export function sourceFromFunction(start: (signal: AbortSignal, enqueue: Enqueue) => void): Source {
  return { start } satisfies Source;
}

/** The `result` label of `controller_runtime_reconcile_total`. */
export type ReconcileResultLabel = "success" | "error" | "requeue" | "requeue_after";

/** Hooks through which a {@link Controller} reports; synchronous, cheap, never throwing. */
export interface ControllerMetrics {
  /** One reconcile finished with `result` after `seconds` (not called for cancelled ones). */
  reconciled(result: ReconcileResultLabel, seconds: number): void;
  /** A reconcile threw (terminal or not). */
  reconcileError(): void;
  /** A reconcile threw a terminal error. */
  terminalError(): void;
  /** The number of workers inside a reconcile changed to `n`. */
  activeWorkers(n: number): void;
  /** Set once at start. */
  maxConcurrentReconciles(n: number): void;
}

/** Controller metrics hooks that record nothing. */
export const nopControllerMetrics: ControllerMetrics = {
  reconciled: () => {},
  reconcileError: () => {},
  terminalError: () => {},
  activeWorkers: () => {},
  maxConcurrentReconciles: () => {},
};

/** Passed to {@link ControllerOptions.onError} for each failed reconcile. */
export interface ReconcileErrorReport {
  controller: string;
  key: string;
  error: unknown;
  /** True when the key will not be retried. */
  terminal: boolean;
  /** Rate-limited retries of the key so far, this failure included. */
  retries: number;
}

/** Options of {@link Controller}. */
export interface ControllerOptions {
  /** Names the controller in logs and metric labels. */
  name: string;
  reconcile: Reconcile;
  /** Maximum number of concurrent reconciles (workers); default 16. */
  concurrency?: number;
  sources?: readonly Source[];
  /** Default: exponential per-key backoff 5 ms..5 min, max'ed with 10 qps burst 100. */
  rateLimiter?: RateLimiter;
  clock?: Clock;
  metrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
  logger?: Logger;
  /** Called after each failed reconcile, after it was logged. Exceptions it throws are logged. */
  onError?: (report: ReconcileErrorReport) => void;
}

type Outcome =
  | { kind: "success" }
  | { kind: "requeue" }
  | { kind: "requeue_after"; ms: number }
  | { kind: "error"; error: unknown }
  | { kind: "terminal"; error: unknown }
  | { kind: "cancelled"; error: unknown };

/**
 * Runs a bounded pool of workers that take keys from a {@link WorkQueue} and reconcile them; a key
 * is never reconciled by two workers at once. Failed keys are retried with backoff, except
 * {@link TerminalError}s. One controller runs once: create a new one to start again.
 */
export class Controller {
  readonly name: string;
  private readonly reconcile: Reconcile;
  private readonly concurrency: number;
  private readonly sources: readonly Source[];
  private readonly clock: Clock;
  private readonly queue: WorkQueue;
  private readonly metrics: ControllerMetrics;
  private readonly logger: Logger;
  private readonly onError: ((report: ReconcileErrorReport) => void) | undefined;
  private active = 0;
  private started = false;

  /** @throws RangeError if `concurrency` is not a positive integer. */
  constructor(options: ControllerOptions) {
    const concurrency = options.concurrency ?? 16;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(
        `controller ${options.name}: concurrency must be a positive integer, got ${concurrency}`,
      );
    }
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.concurrency = concurrency;
    this.sources = options.sources ?? [];
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? nopControllerMetrics;
    this.logger = options.logger ?? nopLogger;
    this.onError = options.onError;
    this.queue = new WorkQueue({
      clock: this.clock,
      ...(options.rateLimiter !== undefined && { rateLimiter: options.rateLimiter }),
      ...(options.queueMetrics !== undefined && { metrics: options.queueMetrics }),
    });
  }

  /** Queues `key` for reconciliation (see {@link WorkQueue.add}). Any code may call it, any time. */
  readonly enqueue: Enqueue = (key, options) => this.queue.add(key, options);

  /**
   * Starts the sources and the workers and returns at once. The promise resolves when `signal`
   * has aborted and every in-flight reconcile (which sees the aborted signal) has settled; it
   * rejects, after the same cleanup, if a source's `start` throws. Queued keys are dropped on
   * stop. @throws Error if called twice.
   */
  start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`controller ${this.name} was already started`);
    this.started = true;
    const inner = new AbortController();
    // Reconcilers and sources add their own abort listeners; the default cap of 10 would warn.
    setMaxListeners(this.concurrency * 4 + 10, inner.signal);
    const stop = (reason: unknown): void => {
      inner.abort(reason);
      this.queue.shutDown();
    };
    const onAbort = (): void => stop(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });

    this.metrics.maxConcurrentReconciles(this.concurrency);
    // Sources first, so that an initial list is queued whole and priorities apply from the start.
    const sourceError = this.startSources(inner.signal, stop);
    const workers = Array.from({ length: this.concurrency }, () => this.runWorker(inner.signal));
    return Promise.all(workers).then(() => {
      signal.removeEventListener("abort", onAbort);
      if (sourceError !== undefined) throw sourceError.error;
    });
  }

  private startSources(signal: AbortSignal, stop: (reason: unknown) => void): { error: unknown } | undefined {
    for (const source of this.sources) {
      try {
        source.start(signal, this.enqueue);
      } catch (error) {
        this.logger.error("source failed to start; stopping the controller", {
          controller: this.name,
          error,
        });
        stop(error);
        return { error };
      }
    }
    return undefined;
  }

  private async runWorker(signal: AbortSignal): Promise<void> {
    // No signal for `get`: stopping shuts the queue down, which wakes every waiting worker.
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      await this.process(key, signal);
    }
  }

  private async process(key: string, signal: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    this.setActive(+1);
    let outcome: Outcome;
    try {
      outcome = classifyResult(await this.reconcile(key, signal));
    } catch (error) {
      outcome = classifyError(error, signal);
    } finally {
      this.setActive(-1);
    }
    try {
      this.applyOutcome(key, outcome, (this.clock.now() - startedAt) / 1000);
    } finally {
      this.queue.done(key);
    }
  }

  /** The one place that turns a reconcile outcome into queue operations, metrics and reports. */
  private applyOutcome(key: string, outcome: Outcome, seconds: number): void {
    switch (outcome.kind) {
      case "success":
        this.queue.forget(key);
        this.metrics.reconciled("success", seconds);
        return;
      case "requeue_after":
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.ms);
        this.metrics.reconciled("requeue_after", seconds);
        return;
      case "requeue":
        this.queue.addRateLimited(key);
        this.metrics.reconciled("requeue", seconds);
        return;
      case "error":
        this.queue.addRateLimited(key);
        this.metrics.reconcileError();
        this.metrics.reconciled("error", seconds);
        this.report(key, outcome.error, false);
        return;
      case "terminal":
        this.queue.forget(key);
        this.metrics.terminalError();
        this.metrics.reconcileError();
        this.metrics.reconciled("error", seconds);
        this.report(key, outcome.error, true);
        return;
      case "cancelled":
        this.logger.debug("reconcile ended by shutdown", {
          controller: this.name,
          key,
          error: outcome.error,
        });
        return;
    }
  }

  private report(key: string, error: unknown, terminal: boolean): void {
    const report = { controller: this.name, key, error, terminal, retries: this.queue.numRequeues(key) };
    this.logger.error(terminal ? "reconcile failed; not retrying" : "reconcile failed; will retry", report);
    try {
      this.onError?.(report);
    } catch (hookError) {
      this.logger.error("onError hook threw", { controller: this.name, key, error: hookError });
    }
  }

  private setActive(delta: number): void {
    this.active += delta;
    this.metrics.activeWorkers(this.active);
  }
}

function classifyResult(result: Result): Outcome {
  const ms = result?.requeueAfterMs;
  if (ms === undefined) return { kind: "success" };
  return ms > 0 ? { kind: "requeue_after", ms } : { kind: "requeue" };
}

function classifyError(error: unknown, signal: AbortSignal): Outcome {
  if (signal.aborted) return { kind: "cancelled", error };
  return isTerminalError(error) ? { kind: "terminal", error } : { kind: "error", error };
}
