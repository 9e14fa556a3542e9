/**
 * List + watch of Projects with resourceVersion tracking, written out instead of using the
 * client library's informer (which does not restart itself after a watch error):
 *
 *   list (paged) ──▶ replace cache ──▶ watch from the list's resourceVersion ──▶ events
 *        ▲                                 │ stream ended by the server: watch again from the last rv
 *        │ 410 Gone / stalled              │ any other error: back off, watch again from the last rv
 *        └─────────────────────────────────┘
 *
 * A watchdog aborts a watch that has delivered no event and no bookmark for `stallMs` (a silently
 * dead connection) and relists. Failed lists are retried with the same backoff. One writer: the
 * handler is called from this loop only, one call at a time.
 */
import { sleep } from "../util/abort.js";
import { backoffDelay } from "../util/backoff.js";
import type { Clock, Timer } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { ProjectsApi } from "./api.js";
import { KubeApiError, WatchExpiredError, WatchStalledError } from "./errors.js";
import type { ProjectObject, WatchEvent } from "./objects.js";

/** Receives what the watcher learns; called synchronously, never concurrently. */
export interface ListWatchHandler {
  /** A complete list; `initial` is true for the first one. */
  replace(items: readonly ProjectObject[], initial: boolean): void;
  /** One change seen by the watch. */
  event(type: "ADDED" | "MODIFIED" | "DELETED", object: ProjectObject): void;
}

/** Why the watcher listed again or restarted its watch; the label of its metric. */
export type RestartReason = "expired" | "stalled" | "error" | "closed";

/** Options of {@link ListWatch}. */
export interface ListWatchOptions {
  api: Pick<ProjectsApi, "list" | "watch">;
  /** Watch one namespace; all when undefined. */
  namespace: string | undefined;
  handler: ListWatchHandler;
  logger: Logger;
  clock?: Clock;
  /** No event or bookmark for this long aborts the watch and relists; default 2 min. */
  stallMs?: number;
  /** Backoff after failures: from `backoffInitialMs` (default 250) doubling up to `backoffMaxMs` (10 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** The server-side timeout of each watch request; default a random 5 to 10 minutes. */
  watchTimeoutSeconds?: () => number;
  /** Items per list page; default 500. */
  pageSize?: number;
  /** Called for every relist or watch restart after the first list. */
  onRestart?: (reason: RestartReason) => void;
}

/**
 * Runs list+watch until its signal aborts. `start` returns at once; {@link synced} resolves after
 * the first complete list has been handed to the handler.
 */
export class ListWatch {
  private readonly clock: Clock;
  private readonly stallMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly watchTimeout: () => number;
  private rv = "";
  private listed = false;
  private markSynced: () => void = () => {};
  private readonly syncedPromise: Promise<void>;
  private running: Promise<void> | undefined;
  private apiUp = false;

  constructor(private readonly o: ListWatchOptions) {
    this.clock = o.clock ?? systemClock;
    this.stallMs = o.stallMs ?? 120_000;
    this.backoffInitialMs = o.backoffInitialMs ?? 250;
    this.backoffMaxMs = o.backoffMaxMs ?? 10_000;
    this.watchTimeout = o.watchTimeoutSeconds ?? (() => 300 + Math.floor(Math.random() * 300));
    this.syncedPromise = new Promise((r) => (this.markSynced = r));
  }

  /** The resourceVersion of the last list, event or bookmark. */
  get resourceVersion(): string {
    return this.rv;
  }

  /** True once the first list is in. */
  get isSynced(): boolean {
    return this.listed;
  }

  /** Resolves once the first list is in (never rejects; stays pending until then). */
  synced(): Promise<void> {
    return this.syncedPromise;
  }

  /** Starts the loop; returns at once. Stops when `signal` aborts. */
  start(signal: AbortSignal): void {
    if (this.running) throw new Error("the project watch was already started");
    this.running = this.run(signal);
  }

  /** Resolves when the loop has stopped after its signal aborted. */
  stopped(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** True while the last list or watch of the apiserver succeeded (false until the first list). */
  get connected(): boolean {
    return this.apiUp;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          this.apiUp = true;
          needList = false;
          failures = 0;
          if (signal.aborted) break;
        }
        const healthy = await this.watchOnce(signal);
        // A stream that ended at once without an event is a failure, so it cannot spin.
        failures = healthy ? 0 : failures + 1;
        if (!signal.aborted) this.o.onRestart?.("closed");
        if (failures > 0) await sleep(this.backoff(failures), signal, this.clock);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof WatchExpiredError || (err instanceof KubeApiError && err.gone)) {
          this.o.logger.info("project watch expired; listing again", { resourceVersion: this.rv });
          this.o.onRestart?.("expired");
          needList = true;
          continue;
        }
        if (err instanceof WatchStalledError) {
          this.o.logger.warn("project watch stalled; listing again", { error: err.message });
          this.o.onRestart?.("stalled");
          needList = true;
          continue;
        }
        failures++;
        this.apiUp = false;
        const delay = this.backoff(failures);
        this.o.logger.warn(
          needList ? "listing projects failed; retrying" : "project watch failed; restarting it",
          {
            error: err instanceof Error ? err.message : String(err),
            retryInMs: delay,
            failures,
          },
        );
        if (this.listed) this.o.onRestart?.("error");
        await sleep(delay, signal, this.clock);
      }
    }
  }

  private async list(signal: AbortSignal): Promise<void> {
    const items: ProjectObject[] = [];
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await this.o.api.list(this.o.namespace, {
        limit: this.o.pageSize ?? 500,
        ...(cont !== undefined ? { continue: cont } : {}),
      });
      if (signal.aborted) return;
      items.push(...page.items);
      rv = page.resourceVersion;
      cont = page.continue;
    } while (cont);
    const initial = !this.listed;
    this.rv = rv;
    this.o.handler.replace(items, initial);
    if (initial) {
      this.listed = true;
      this.markSynced();
    }
  }

  /**
   * One watch request. Resolves when the server ends the stream (true when it delivered at
   * least one event); rejects with WatchExpiredError, WatchStalledError or the request's error.
   */
  private watchOnce(signal: AbortSignal): Promise<boolean> {
    const inner = new AbortController();
    const stopInner = () => inner.abort();
    signal.addEventListener("abort", stopInner, { once: true });
    let failure: Error | undefined;
    let delivered = false;
    let watchdog: Timer | undefined;
    const arm = () => {
      watchdog?.cancel();
      watchdog = this.clock.setTimeout(() => {
        failure ??= new WatchStalledError(
          `no watch event or bookmark for ${Math.round(this.stallMs / 1000)}s (resourceVersion ${this.rv})`,
        );
        inner.abort();
      }, this.stallMs);
    };
    const onEvent = (ev: WatchEvent) => {
      if (failure || inner.signal.aborted) return;
      this.apiUp = true;
      arm();
      if (ev.type === "ERROR") {
        const code = ev.object.code ?? 0;
        failure =
          code === 410 || ev.object.reason === "Expired" || ev.object.reason === "Gone"
            ? new WatchExpiredError(ev.object.message ?? "resourceVersion too old")
            : new KubeApiError(`watch error: ${ev.object.message ?? `code ${code}`}`, code, ev.object.reason);
        inner.abort();
        return;
      }
      const rv = ev.object.metadata?.resourceVersion;
      if (rv) this.rv = rv;
      if (ev.type === "BOOKMARK") return;
      delivered = true;
      this.o.handler.event(ev.type, ev.object);
    };
    arm();
    const options = {
      resourceVersion: this.rv,
      timeoutSeconds: this.watchTimeout(),
      allowWatchBookmarks: true,
    };
    return this.o.api
      .watch(this.o.namespace, options, onEvent, inner.signal)
      .then(
        () => {
          if (failure) throw failure;
          return delivered;
        },
        (err: unknown) => {
          throw failure ?? err;
        },
      )
      .finally(() => {
        watchdog?.cancel();
        signal.removeEventListener("abort", stopInner);
      });
  }

  /** The delay after `failures` consecutive failures, +-20% jitter. */
  private backoff(failures: number): number {
    return backoffDelay(Math.min(failures - 1, 20), {
      baseMs: this.backoffInitialMs,
      maxMs: this.backoffMaxMs,
      jitter: 0.2,
    });
  }
}
