import type { Clock } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import { DelayedKeys, Fifo } from "./queue-structures.js";
import type { RateLimiter } from "./ratelimiter.js";
import { defaultRateLimiter } from "./ratelimiter.js";

/** Queue priority of a key: `low` keys are handed out only when no `normal` key is waiting. */
export type Priority = "normal" | "low";

/** Options of {@link WorkQueue.add}. */
export interface AddOptions {
  /** Default `normal`. Use `low` for keys that come from an initial list (startup, relist). */
  priority?: Priority;
}

/** What is being worked on right now, read by metrics at scrape time. */
export interface InFlightWork {
  /** Sum over keys in processing of how long each has been processed. */
  unfinishedSeconds: number;
  /** How long the longest-running key in processing has been processed (0 when none). */
  longestRunningSeconds: number;
}

/**
 * Hooks through which a {@link WorkQueue} reports what it does. Called synchronously from queue
 * operations, so implementations must be cheap and must not throw or call back into the queue.
 */
export interface WorkQueueMetrics {
  /** A key became pending (an add that was not deduplicated). */
  added(): void;
  /** The number of pending keys (queued, or re-added while being processed) changed to `n`. */
  depth(n: number): void;
  /** A delayed or rate-limited add was requested (client-go counts every `addAfter`). */
  retried(): void;
  /** A key waited `seconds` between becoming pending and being handed to a worker. */
  queueDuration(seconds: number): void;
  /** A worker held a key for `seconds` between `get` and `done`. */
  workDuration(seconds: number): void;
  /** Registers the queue's in-flight probe; the metrics backend may call it at any time. */
  watchInFlight(probe: () => InFlightWork): void;
}

/** Metrics hooks that record nothing. */
export const nopWorkQueueMetrics: WorkQueueMetrics = {
  added: () => {},
  depth: () => {},
  retried: () => {},
  queueDuration: () => {},
  workDuration: () => {},
  watchInFlight: () => {},
};

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Time source for delays and durations; default the process clock. */
  clock?: Clock;
  /** Used by `addRateLimited`; default {@link defaultRateLimiter} on the same clock. */
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

interface Pending {
  priority: Priority;
  addedAt: number;
  /** Ticket of this key's live entry in a ready FIFO; 0 while the key is being processed. */
  ticket: number;
}

interface Ticket {
  key: string;
  ticket: number;
}

type Waiter = (key: string | undefined) => void;

type State = "running" | "draining" | "stopped";

/**
 * A work queue of string keys (`namespace/name`) with client-go semantics:
 *
 * - a key is pending at most once, however many times it is added;
 * - a key handed out by `get` is never handed out again before `done(key)`; an add in between
 *   marks it pending, and `done` puts it back in the queue;
 * - `normal` keys are served before `low` keys, FIFO within a priority; adding a pending `low`
 *   key as `normal` promotes it;
 * - `addAfter` delays an add (one timer for all delayed keys; the earliest deadline of a key wins);
 *   `addRateLimited` delays by the rate limiter's answer.
 *
 * Every method except `get` and `shutDownWithDrain` is synchronous and never blocks. Any code may
 * add keys; whoever receives a key from `get` must call `done(key)` exactly once.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics;
  private readonly pending = new Map<string, Pending>();
  private readonly processing = new Map<string, number>();
  private readonly ready: Record<Priority, Fifo<Ticket>> = { normal: new Fifo(), low: new Fifo() };
  private readyCount = 0;
  private nextTicket = 1;
  private readonly waiters = new Set<Waiter>();
  private readonly delayed: DelayedKeys<Priority>;
  private state: State = "running";
  private drain: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.limiter = options.rateLimiter ?? defaultRateLimiter({ clock: this.clock });
    this.metrics = options.metrics ?? nopWorkQueueMetrics;
    this.delayed = new DelayedKeys<Priority>(
      this.clock,
      (key, priority) => this.add(key, { priority }),
      (a, b) => (a === "normal" || b === "normal" ? "normal" : "low"),
    );
    this.metrics.watchInFlight(() => this.inFlight());
  }

  /** Makes `key` pending unless it already is (see the class comment). Ignored after shutdown. */
  add(key: string, options?: AddOptions): void {
    if (this.state !== "running") return;
    const priority = options?.priority ?? "normal";
    const existing = this.pending.get(key);
    if (existing !== undefined) {
      if (priority === "normal" && existing.priority === "low") this.promote(key, existing);
      return;
    }
    const entry: Pending = { priority, addedAt: this.clock.now(), ticket: 0 };
    this.pending.set(key, entry);
    this.metrics.added();
    this.metrics.depth(this.pending.size);
    if (!this.processing.has(key)) this.enqueueReady(key, entry);
  }

  /**
   * Adds `key` after `ms` milliseconds (at once when `ms <= 0`). If the key is already waiting
   * with an earlier deadline, that one stays; a later add never postpones it. Ignored after
   * shutdown; keys still waiting at shutdown are dropped.
   */
  addAfter(key: string, ms: number, options?: AddOptions): void {
    if (this.state !== "running") return;
    this.metrics.retried();
    const priority = options?.priority ?? "normal";
    if (!(ms > 0)) {
      this.add(key, { priority });
      return;
    }
    this.delayed.schedule(key, this.clock.now() + ms, priority);
  }

  /** Adds `key` after the delay the rate limiter assigns to its next retry. Ignored after shutdown. */
  addRateLimited(key: string, options?: AddOptions): void {
    if (this.state !== "running") return;
    this.addAfter(key, this.limiter.when(key), options);
  }

  /** Resets the rate limiter's memory of `key` (call it when the key succeeded or gave up). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** How many rate-limited retries `key` had since it was last forgotten. */
  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /**
   * Waits for the next key and marks it as being processed; the caller must call `done(key)`.
   * Resolves `undefined` (and hands out nothing) when `signal` aborts or the queue shuts down.
   * Concurrent callers are served in call order.
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    if (signal?.aborted === true || this.state === "stopped") return Promise.resolve(undefined);
    const key = this.popReady();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        resolve(undefined);
      };
      const waiter: Waiter = (k) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(k);
      };
      this.waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Ends processing of `key`; if it was added meanwhile it is queued again. Unknown keys are ignored. */
  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.processing.delete(key);
    this.metrics.workDuration((this.clock.now() - startedAt) / 1000);
    const entry = this.pending.get(key);
    if (entry !== undefined) this.enqueueReady(key, entry);
    this.finishDrainIfIdle();
  }

  /** Number of keys ready to be handed out (not counting keys being processed or delayed). */
  len(): number {
    return this.readyCount;
  }

  /** True once `shutDown` or `shutDownWithDrain` was called. */
  isShuttingDown(): boolean {
    return this.state !== "running";
  }

  /**
   * Stops the queue at once: adds are ignored from now on, pending and delayed keys are dropped,
   * and every waiting and future `get` resolves `undefined`. Keys being processed may still be
   * passed to `done`. Idempotent.
   */
  shutDown(): void {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.delayed.clear();
    this.pending.clear();
    this.ready.normal.clear();
    this.ready.low.clear();
    this.readyCount = 0;
    this.metrics.depth(0);
    for (const waiter of this.waiters) waiter(undefined);
    this.waiters.clear();
    this.drain?.resolve();
  }

  /**
   * Stops accepting adds (delayed keys are dropped) but keeps handing out the keys already
   * pending; resolves when none is left and none is being processed, then shuts down. Needs
   * workers to keep calling `get` and `done` until then.
   */
  shutDownWithDrain(): Promise<void> {
    if (this.state === "stopped") return Promise.resolve();
    if (this.drain === undefined) {
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.drain = { promise, resolve };
      this.state = "draining";
      this.delayed.clear();
    }
    const { promise } = this.drain;
    this.finishDrainIfIdle();
    return promise;
  }

  private promote(key: string, entry: Pending): void {
    entry.priority = "normal";
    if (entry.ticket === 0) return; // being processed: `done` queues it as normal
    entry.ticket = this.nextTicket++;
    this.ready.normal.push({ key, ticket: entry.ticket }); // the low ticket is now stale
  }

  private enqueueReady(key: string, entry: Pending): void {
    entry.ticket = this.nextTicket++;
    this.ready[entry.priority].push({ key, ticket: entry.ticket });
    this.readyCount += 1;
    this.dispatch();
  }

  /** Hands ready keys to waiting getters, oldest getter first. */
  private dispatch(): void {
    for (const waiter of this.waiters) {
      const key = this.popReady();
      if (key === undefined) return;
      this.waiters.delete(waiter);
      waiter(key);
    }
  }

  private popReady(): string | undefined {
    if (this.readyCount === 0) return undefined;
    for (const fifo of [this.ready.normal, this.ready.low]) {
      for (let t = fifo.shift(); t !== undefined; t = fifo.shift()) {
        const entry = this.pending.get(t.key);
        if (entry?.ticket === t.ticket) return this.take(t.key, entry);
      }
    }
    return undefined;
  }

  private take(key: string, entry: Pending): string {
    const now = this.clock.now();
    this.pending.delete(key);
    this.processing.set(key, now);
    this.readyCount -= 1;
    this.metrics.depth(this.pending.size);
    this.metrics.queueDuration((now - entry.addedAt) / 1000);
    return key;
  }

  private finishDrainIfIdle(): void {
    if (this.state === "draining" && this.readyCount === 0 && this.processing.size === 0) this.shutDown();
  }

  private inFlight(): InFlightWork {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const startedAt of this.processing.values()) {
      total += now - startedAt;
      longest = Math.max(longest, now - startedAt);
    }
    return { unfinishedSeconds: total / 1000, longestRunningSeconds: longest / 1000 };
  }
}
