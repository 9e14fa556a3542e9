/**
 * Exponential backoff, the one formula behind every retry delay in Berth: the delay after the
 * n-th consecutive failure is `baseMs * factor^(n-1)`, capped at `maxMs`, optionally spread by
 * jitter. Pure arithmetic; waiting is the caller's (see `sleep` in ./abort.ts).
 */

/** The shape of a backoff; the defaults are doubling and no jitter. */
export interface BackoffOptions {
  /** Delay after the first failure, in ms (>= 0). */
  baseMs: number;
  /** Upper bound of the delay before jitter, in ms. */
  maxMs: number;
  /** Growth from one failure to the next; default 2. */
  factor?: number;
  /**
   * Spread as a fraction of the delay: the capped delay is scaled by a random factor in
   * `[1 - jitter, 1 + jitter)` and rounded to whole ms; default 0 (no spread, no rounding).
   */
  jitter?: number;
}

/**
 * The delay before retry `attempt` (0 for the first retry): `min(maxMs, baseMs * factor^attempt)`,
 * then jittered. Never NaN: an exponent that overflows gives `maxMs` (or 0 for a zero base).
 * Pure apart from `random`, which defaults to Math.random and is called only when there is jitter.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const raw = options.baseMs * (options.factor ?? 2) ** attempt;
  const capped = Number.isNaN(raw) ? 0 : Math.min(options.maxMs, raw);
  const jitter = options.jitter ?? 0;
  if (jitter === 0) return capped;
  return Math.round(capped * (1 - jitter + random() * 2 * jitter));
}

/**
 * A backoff that counts its own failures: {@link next} returns the delay for this failure and
 * counts it, {@link reset} starts over after a success. For one loop; not shared between tasks.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures counted since the last {@link reset}. */
  get failures(): number {
    return this.attempt;
  }

  /** The delay the next call of {@link next} returns, before jitter; counts nothing. */
  peek(): number {
    return backoffDelay(this.attempt, { ...this.options, jitter: 0 });
  }

  /** Counts a failure and returns the delay to wait before retrying, in ms. */
  next(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  /** Forgets the failures: the next delay is `baseMs` again. */
  reset(): void {
    this.attempt = 0;
  }
}
