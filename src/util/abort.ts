/** Waiting with an AbortSignal. */
import type { Clock, Timer } from "./clock.js";
import { systemClock } from "./clock.js";

/**
 * Resolves as `promise` does, or rejects with the signal's reason as soon as `signal` aborts
 * (at once when it already has). `promise` itself is not cancelled.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * Resolves after `ms` on `clock` (default the system clock), or at once when `signal` aborts or
 * has aborted. Never rejects: a loop that sleeps checks `signal.aborted` when it wakes. The timer
 * and the abort listener are removed whichever comes first.
 */
export function sleep(ms: number, signal: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let timer: Timer | undefined = undefined;
    const done = (): void => {
      timer?.cancel();
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    timer = clock.setTimeout(done, ms);
  });
}
