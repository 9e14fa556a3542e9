import { backoffDelay } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";
import { systemClock } from "../util/clock.js";

/**
 * Decides how long a key waits before it is retried. Implementations are synchronous, never throw,
 * and are called only by the work queue that owns them (one queue per limiter).
 */
export interface RateLimiter {
  /** Records a retry of `key` and returns the delay in milliseconds before it may run again. */
  when(key: string): number;
  /** Clears what the limiter remembers about `key` (its failures); the key's next delay starts over. */
  forget(key: string): void;
  /** How many times `key` was retried since it was last forgotten. */
  numRequeues(key: string): number;
}

/** Options of {@link ItemExponentialRateLimiter}. */
export interface ExponentialBackoffOptions {
  /** Delay of the first retry; default 5 ms. */
  baseDelayMs?: number;
  /** Upper bound of any delay; default 5 minutes. */
  maxDelayMs?: number;
}

/**
 * Per-key exponential backoff: the n-th retry of a key (since `forget`) waits
 * `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs` (5, 10, 20, ... ms up to 5 min by default).
 */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: ExponentialBackoffOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
  }

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // Overflow (2^1024 is Infinity) is capped at maxDelayMs by backoffDelay.
    return backoffDelay(n, { baseMs: this.baseDelayMs, maxMs: this.maxDelayMs });
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** Options of {@link TokenBucketRateLimiter}. */
export interface TokenBucketOptions {
  /** Sustained retries per second across all keys; default 10. */
  qps?: number;
  /** Retries allowed at once before `qps` applies; default 100. */
  burst?: number;
  clock?: Clock;
}

/**
 * An overall token bucket shared by all keys (like golang.org/x/time/rate reservations): each call
 * takes a token, and once the bucket is empty each retry is scheduled `1/qps` seconds after the
 * previous one. Keys are not remembered, so `forget` does nothing and `numRequeues` is 0.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(options: TokenBucketOptions = {}) {
    this.qps = options.qps ?? 10;
    this.burst = options.burst ?? 100;
    this.clock = options.clock ?? systemClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
      this.last = now;
    }
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** Combines limiters: the delay is the longest of theirs; `forget` reaches all of them. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see the retry (each keeps its own state), so no short-circuit.
    return this.limiters.reduce((max, limiter) => Math.max(max, limiter.when(key)), 0);
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiters.reduce((max, limiter) => Math.max(max, limiter.numRequeues(key)), 0);
  }
}

/** Options of {@link defaultRateLimiter}: both halves, each with its defaults. */
export interface DefaultRateLimiterOptions extends ExponentialBackoffOptions, TokenBucketOptions {}

/**
 * The controller default (as in client-go): the longer of a per-key exponential backoff
 * (5 ms doubling up to 5 min) and an overall token bucket (10 qps, burst 100).
 */
export function defaultRateLimiter(options: DefaultRateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(options), new TokenBucketRateLimiter(options));
}
