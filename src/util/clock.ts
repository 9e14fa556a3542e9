/** A pending timer created by {@link Clock.setTimeout}. */
export interface Timer {
  /** Cancels the timer; calling it after the timer fired, or twice, is harmless. */
  cancel(): void;
}

/**
 * Monotonic time and timers, injected so that code with delays and backoff can be tested with a
 * fake clock instead of sleeping. Implementations never throw.
 */
export interface Clock {
  /** Milliseconds from an arbitrary origin; never goes backwards. Only differences are meaningful. */
  now(): number;
  /** Calls `fn` once, no earlier than `ms` milliseconds from now (negative counts as 0). */
  setTimeout(fn: () => void, ms: number): Timer;
}

/** Largest delay Node's setTimeout honours; longer delays would fire after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The process clock: `performance.now()` and Node timers. Timers keep the process alive while
 * pending (callers cancel them on shutdown). Delays are clamped to {@link MAX_TIMER_DELAY_MS}, so a
 * caller with a longer deadline must re-check the time when the timer fires.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_DELAY_MS));
    return { cancel: () => clearTimeout(handle) };
  },
};
