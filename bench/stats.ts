/** Summary statistics of a sample, in the sample's unit. */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(sample: readonly number[], p: number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export function summarize(sample: readonly number[]): Summary {
  return {
    n: sample.length,
    median: percentile(sample, 50),
    p95: percentile(sample, 95),
    p99: percentile(sample, 99),
    min: Math.min(...sample),
    max: Math.max(...sample),
  };
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, and returns milliseconds per run. */
export async function timeRuns(runs: number, warmup: number, fn: () => unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}

export const ms = (v: number): string => `${v.toFixed(2)} ms`;

/**
 * Milliseconds since the epoch with sub-millisecond resolution, comparable across processes and
 * with dockerd's event times.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
