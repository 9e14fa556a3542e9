/**
 * The bound on Docker calls shared by every project's reconcile (`--docker-concurrency`), so that a
 * flood of reconciles never floods dockerd. One instance per operator, made at start-up.
 */
import { Semaphore } from "../runtime/async.js";

/** The default of `--docker-concurrency` (see the README for the measurement behind it). */
export const DEFAULT_DOCKER_CONCURRENCY = 16;

/**
 * Stops in flight at once. A stop mostly waits out a container's grace period while dockerd does
 * nothing, so stops do not take the call permits; their own bound is the size of the largest
 * project, so that one project's teardown takes one grace period.
 */
export const STOP_CONCURRENCY = 128;

/**
 * Permits for Docker calls. `call` bounds the calls that make dockerd work (create, start, remove,
 * rename, network create and remove) to `concurrency` at once across all projects; `stop` bounds
 * stops separately (see {@link STOP_CONCURRENCY}). Waiters are served first come, first served.
 * A call never holds a permit while it waits for another, so the gate cannot deadlock.
 */
export class DockerGate {
  private readonly calls: Semaphore;
  private readonly stops: Semaphore;
  private inFlight = 0;
  private peak = 0;

  constructor(
    /** Calls in flight at once, at least 1. */
    readonly concurrency: number = DEFAULT_DOCKER_CONCURRENCY,
    stopConcurrency: number = STOP_CONCURRENCY,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`docker concurrency ${concurrency} must be a whole number of at least 1`);
    }
    this.calls = new Semaphore(concurrency);
    this.stops = new Semaphore(Math.max(1, stopConcurrency));
  }

  /** Runs one Docker call once a permit is free; resolves or rejects as the call does. */
  call<T>(fn: () => Promise<T>): Promise<T> {
    return this.calls.run(() => this.count(fn));
  }

  /** Runs one stop once a stop permit is free. */
  stop<T>(fn: () => Promise<T>): Promise<T> {
    return this.stops.run(fn);
  }

  /** The most calls (not stops) that were in flight at once so far. */
  get peakCalls(): number {
    return this.peak;
  }

  private async count<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
}
